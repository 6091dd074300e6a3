package io.basalt.meta.placement;

import io.basalt.meta.state.Chunk;
import io.basalt.meta.state.Liveness;
import io.basalt.meta.state.MetaState;
import io.basalt.meta.state.MetaTables;
import io.basalt.meta.state.PExtent;
import io.basalt.meta.state.Plan;
import io.basalt.meta.store.MutationBatch;
import io.basalt.meta.view.InfoViews;
import io.basalt.proto.ChunkStatus;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.IdCounters;
import io.basalt.proto.ListChunksResponse;
import io.basalt.proto.RegisterChunkRequest;
import io.basalt.proto.RegisterChunkResponse;
import io.basalt.proto.ReportReplicasRequest;
import io.basalt.proto.ReportReplicasResponse;
import io.basalt.rpc.BasaltException;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chunk operations: registration (durable), replica reports (which held pids no longer exist, or no longer count
 * the chunk as a member) and listing. Liveness and usage arrive with keepalives (the session component's
 * {@code SessionOps}). Callable from any thread; work runs on the MetaLoop through {@link MetaState}.
 */
public final class ChunkOps {
  private static final Logger log = LoggerFactory.getLogger(ChunkOps.class);
  private final MetaState state;
  private final Liveness live;
  private final CatchUpListener catchUp;

  public ChunkOps(MetaState state, Liveness live) {
    this(state, live, CatchUpListener.NONE);
  }

  /** @param catchUp told on the loop which copies each report names as catch-up copies (recovery's holders) */
  public ChunkOps(MetaState state, Liveness live, CatchUpListener catchUp) {
    this.state = state;
    this.live = live;
    this.catchUp = catchUp;
  }

  /**
   * cid 0: a new chunk gets the next cid. Known cid: address/zone/admin/capacity updated. Unknown non-zero cid:
   * NO_SUCH_CHUNK. A non-empty cluster id that is not ours: INVALID_ARGUMENT (the disk belongs elsewhere).
   */
  public CompletableFuture<RegisterChunkResponse> register(RegisterChunkRequest req) {
    return state.mutate("registerChunk", t -> {
      if (req.getAddress().isEmpty()) {
        throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "address is required");
      }
      if (!req.getClusterId().isEmpty() && !req.getClusterId().equals(t.clusterId())) {
        throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "cluster_id=" + req.getClusterId()
            + " does not match this cluster ("
            + t.clusterId() + ")");
      }
      long now = state.nowNanos();
      RegisterChunkResponse.Builder answer = RegisterChunkResponse.newBuilder().setClusterId(t.clusterId());
      if (req.getCid() == 0) {
        return registerNew(t, req, now, answer);
      }
      Chunk old = t.chunks().get(req.getCid());
      if (old == null) {
        throw new BasaltException(ErrorCode.NO_SUCH_CHUNK, "cid=" + req.getCid() + " is not registered");
      }
      Chunk updated = old.withRegistration(req.getAddress(), req.getZone(), req.getAdminAddress(),
          req.getCapacityBytes(), req.getUsedBytes(), now);
      MutationBatch batch = new MutationBatch();
      if (!updated.sameRecord(old)) {
        batch.putChunk(updated.toRecord());
      }
      return Plan.of(batch, () -> {
        t.chunks().put(updated);
        log.info("chunk re-registered cid={} address={} zone={} written={}", updated.cid(), updated.address(),
            updated.zone(), !batch.isEmpty());
        return answer.setCid(updated.cid()).build();
      });
    });
  }

  private Plan<RegisterChunkResponse> registerNew(MetaTables t, RegisterChunkRequest req, long now,
      RegisterChunkResponse.Builder answer) {
    int cid = t.ids().getNextCid();
    IdCounters ids = t.ids().toBuilder().setNextCid(cid + 1).build();
    Chunk chunk = new Chunk(cid, req.getAddress(), req.getZone(), req.getAdminAddress(), req.getCapacityBytes(),
        req.getUsedBytes(), ChunkStatus.HEALTHY, System.currentTimeMillis(), now);
    MutationBatch batch = new MutationBatch().putIds(ids).putChunk(chunk.toRecord());
    return Plan.of(batch, () -> {
      t.setIds(ids);
      t.chunks().put(chunk);
      log.info("chunk registered cid={} address={} zone={} capacityBytes={}", cid, chunk.address(), chunk.zone(),
          chunk.capacityBytes());
      return answer.setCid(cid).build();
    });
  }

  /**
   * Answers the reported pids whose pextent no longer exists (deleted), those that no longer count the chunk as a
   * member (stale; the recovery target's own copy is not stale), and of those the ones whose extent is fully
   * redundant again (gc: the chunk may delete them). The catch-up pids (copies the chunk can catch up incrementally)
   * of existing extents that count the chunk neither as member nor as target go to the {@link CatchUpListener},
   * replacing the chunk's earlier report (an empty set too: it has none any more).
   */
  public CompletableFuture<ReportReplicasResponse> reportReplicas(ReportReplicasRequest req) {
    return state.read(t -> {
      known(t, req.getCid());
      catchUp.reported(req.getCid(), catchUpCopies(t, req), state.nowNanos());
      ReportReplicasResponse.Builder b = ReportReplicasResponse.newBuilder();
      for (long pid : req.getPidsList()) {
        var pe = t.extents().get(pid);
        if (pe == null) {
          b.addDeletedPids(pid);
        } else if (!pe.hasReplica(req.getCid()) && pe.recoveringCid() != req.getCid()) {
          // (the recovery target's copy is neither: it is on its way to membership)
          b.addStalePids(pid);
          if (fullyRedundant(live, pe)) {
            b.addGcPids(pid);
          }
        }
      }
      if (b.getDeletedPidsCount() > 0 || b.getStalePidsCount() > 0) {
        log.info("chunk holds deleted or stale pextents cid={} deleted={} stale={} gc={} gcPids={}", req.getCid(),
            b.getDeletedPidsCount(), b.getStalePidsCount(), b.getGcPidsCount(), b.getGcPidsList());
      }
      return b.build();
    });
  }

  /** The reported catch-up pids worth a recovery's attention: extents that exist and do not hold the chunk. */
  private static Set<Long> catchUpCopies(MetaTables t, ReportReplicasRequest req) {
    Set<Long> out = new HashSet<>();
    for (long pid : req.getCatchupPidsList()) {
      PExtent pe = t.extents().get(pid);
      if (pe != null && !pe.hasReplica(req.getCid()) && pe.recoveringCid() != req.getCid()) {
        out.add(pid);
      }
    }
    return out;
  }

  /** A stale copy may go only when the extent is whole without it: full count, no recovery, every member alive. */
  static boolean fullyRedundant(Liveness live, PExtent pe) {
    return !pe.shortOfReplicas() && !pe.recovering() && live.liveReplicas(pe) == pe.replicas().size();
  }

  public CompletableFuture<ListChunksResponse> listChunks() {
    return state.read(t -> {
      long now = state.nowNanos();
      ListChunksResponse.Builder b = ListChunksResponse.newBuilder();
      t.chunks().all().forEach(c -> b.addChunks(InfoViews.chunk(c, t, now)));
      return b.build();
    });
  }

  private static Chunk known(MetaTables t, int cid) {
    Chunk c = t.chunks().get(cid);
    if (c == null) {
      throw new BasaltException(ErrorCode.NO_SUCH_CHUNK, "cid=" + cid + " is not registered");
    }
    return c;
  }
}
