package io.basalt.meta.volume;

import io.basalt.meta.placement.Candidate;
import io.basalt.meta.placement.PlacementPolicy;
import io.basalt.meta.session.ChunkSessions;
import io.basalt.meta.state.Chunk;
import io.basalt.meta.state.MetaState;
import io.basalt.meta.state.MetaTables;
import io.basalt.meta.state.PExtent;
import io.basalt.meta.state.Plan;
import io.basalt.meta.state.Volume;
import io.basalt.meta.store.MutationBatch;
import io.basalt.meta.store.ZkPaths;
import io.basalt.meta.view.InfoViews;
import io.basalt.proto.AcquireLeaseRequest;
import io.basalt.proto.AllocateExtentRequest;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.IdCounters;
import io.basalt.rpc.BasaltException;
import io.basalt.session.SessionTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Extent operations: allocation on first write (idempotent; ids + pextent page + map page in one multi), lookup,
 * and lease acquisition (epoch + 1 persisted on every grant; the owner itself is soft state). Callable from any
 * thread; runs on the MetaLoop through {@link MetaState}.
 */
public final class ExtentOps {
  private static final Logger log = LoggerFactory.getLogger(ExtentOps.class);
  private final MetaState state;
  private final ChunkSessions sessions;
  private final PlacementPolicy placement;
  private final LongConsumer recoveryDropped;

  public ExtentOps(MetaState state, ChunkSessions sessions, PlacementPolicy placement) {
    this(state, sessions, placement, pid -> { });
  }

  /**
   * @param recoveryDropped ends the recovery of a pid that a lease grant dropped (a new owner), on the loop; the
   *     recovery component's, passed as a function so volume does not import recovery
   */
  public ExtentOps(MetaState state, ChunkSessions sessions, PlacementPolicy placement,
      LongConsumer recoveryDropped) {
    this.state = state;
    this.sessions = sessions;
    this.placement = placement;
    this.recoveryDropped = recoveryDropped;
  }

  /**
   * Places a new extent. A new leader knows no chunk as live until it has heard from it, so during its takeover
   * grace a shortage of live chunks is "not ready yet" (retryable), never NO_SPACE.
   */
  private List<Integer> choose(MetaTables t, int replicas, int preferredCid) {
    long now = state.nowNanos();
    try {
      return placement.choose(candidates(t), replicas, preferredCid, now);
    } catch (BasaltException e) {
      SessionTable st = sessions.table();
      if (e.code() == ErrorCode.NO_SPACE && st != null && st.inGrace(now)) {
        throw new BasaltException(ErrorCode.NOT_READY, "new meta leader is waiting for chunks to report ("
            + st.graceRemainingNanos(now) / 1_000_000 + " ms of grace left): " + e.getMessage(), true);
      }
      throw e;
    }
  }

  public CompletableFuture<ExtentInfo> allocate(AllocateExtentRequest req) {
    return state.mutate("allocateExtent", t -> {
      long vid = req.getVid();
      Volume v = t.volumes().get(vid);
      if (v == null) {
        throw new BasaltException(ErrorCode.NO_SUCH_VOLUME, "vid=" + Long.toUnsignedString(vid) + " does not exist");
      }
      int index = req.getIndex();
      if (index < 0 || index >= v.extentCount()) {
        throw VolumeRules.invalid("index=" + Integer.toUnsignedString(index) + " is out of range: volume vid=" + vid
            + " has " + v.extentCount() + " extents");
      }
      long existing = t.extents().pidAt(vid, index);
      if (existing != 0) {
        return Plan.done(() -> InfoViews.extent(t.extents().get(existing), t, sessions));
      }
      List<Integer> replicas = PlacementPolicy.balancePrimary(choose(t, v.replicas(), req.getPreferredCid()),
          t.extents()::primaryCount, req.getPreferredCid());
      long pid = t.ids().getNextPid();
      IdCounters ids = t.ids().toBuilder().setNextPid(pid + 1).build();
      PExtent pe = PExtent.allocated(pid, vid, index, replicas);
      long pextentPage = ZkPaths.pageOf(pid);
      long mapPage = ZkPaths.pageOf(index);
      MutationBatch batch = new MutationBatch()
          .putIds(ids)
          .putPExtentPage(pextentPage, t.extents().pextentPage(pextentPage, Map.of(pid, pe), Set.of()))
          .putMapPage(vid, mapPage, t.extents().mapPage(vid, mapPage, Map.of(index, pid)));
      return Plan.of(batch, () -> {
        t.setIds(ids);
        t.extents().put(pe);
        log.info("extent allocated vid={} index={} pid={} replicas={} epoch={}", vid, index, pid, replicas,
            pe.epoch());
        return InfoViews.extent(pe, t, sessions);
      });
    });
  }

  public CompletableFuture<ExtentInfo> get(long pid) {
    return state.read(t -> InfoViews.extent(known(t, pid), t, sessions));
  }

  /**
   * Granted (epoch + 1, persisted, then the owner set) when the asker holds a live session and is a member, and the
   * extent has no owner with a live session, or the asker is that owner (a re-grant). Otherwise the extent is
   * returned with its live owner, unchanged; also to an asker that is no member (the asker answers its client
   * NOT_OWNER). During a new leader's grace an extent without a known owner is not
   * granted (NOT_READY): its owner under the previous leader may not have reported it yet. An extent with a recovery
   * target: the first grant since the target was added binds the recovery to the new owner; a later grant drops the
   * target (DEGRADED; logged "recovery restarts: new owner"), and the recovery pass starts a new one.
   */
  public CompletableFuture<ExtentInfo> acquireLease(AcquireLeaseRequest req) {
    return state.mutate("acquireLease", t -> {
      PExtent pe = known(t, req.getPid());
      int cid = req.getCid();
      if (!pe.hasReplica(cid)) {
        // A chunk that is no longer a member (it restarted, it was replaced) and that a client with an old map
        // still asks: unchanged, like any refused grant, so the chunk redirects the client (NOT_OWNER, retryable)
        // to the owner or to meta. An error here reached the client as EINVAL (functional tester, round 12).
        log.info("lease refused pid={} cid={}: not a member (replicas={} owner={} epoch={})", pe.pid(), cid,
            pe.replicas(), pe.ownerCid(), pe.epoch());
        return Plan.done(() -> InfoViews.extent(pe, t, sessions));
      }
      long sessionEpoch = sessions.requireLive(cid, req.getSessionUuid(), req.getSessionEpoch(),
          "no lease for pid=" + pe.pid()).epoch();
      boolean ownerAlive = sessions.ownerAlive(pe);
      if (ownerAlive && (pe.ownerCid() != cid || pe.ownerSession() != sessionEpoch)) {
        return Plan.done(() -> InfoViews.extent(pe, t, sessions));
      }
      if (!ownerAlive && sessions.table().inGrace(state.nowNanos())) {
        throw new BasaltException(ErrorCode.NOT_READY, "meta leader in grace for "
            + sessions.table().graceRemainingNanos(state.nowNanos()) / 1_000_000 + " ms: no new lease for pid="
            + pe.pid(), true);
      }
      PExtent granted = pe.withOwner(cid, sessionEpoch).nextEpoch();
      boolean restart = false;
      if (pe.recovering()) {
        // The first grant since the target was added binds the recovery to this owner; any later one drops the
        // target: the new owner's history may differ from what the target copied (the grant's epoch bump covers it).
        restart = pe.recoveryBound();
        granted = restart ? granted.clearedRecovery() : granted.withRecoveryBound();
      }
      PExtent grant = granted;
      boolean dropped = restart;
      long page = ZkPaths.pageOf(pe.pid());
      MutationBatch batch = new MutationBatch()
          .putPExtentPage(page, t.extents().pextentPage(page, Map.of(pe.pid(), grant), Set.of()));
      return Plan.of(batch, () -> {
        // Mutations run one at a time, so membership cannot have changed since the plan; soft owner changes in
        // between (a release) are overwritten harmlessly: an owner counts only while its session lives.
        t.extents().put(grant);
        log.info("lease granted pid={} cid={} session={} epoch={} previousOwner={}", grant.pid(), cid,
            req.getSessionUuid(), grant.epoch(), pe.ownerCid());
        if (dropped) {
          recoveryDropped.accept(pe.pid());
          log.warn("recovery restarts: new owner pid={} epoch={} cid={} owner={} recoveryEpoch={}", pe.pid(),
              grant.epoch(), pe.recoveringCid(), cid, pe.recoveryEpoch());
        } else if (pe.recovering()) {
          log.info("recovery bound to owner pid={} epoch={} cid={} owner={} recoveryEpoch={}", pe.pid(),
              grant.epoch(), pe.recoveringCid(), cid, pe.recoveryEpoch());
        }
        return InfoViews.extent(grant, t, sessions);
      });
    });
  }

  private static PExtent known(MetaTables t, long pid) {
    PExtent pe = t.extents().get(pid);
    if (pe == null) {
      throw new BasaltException(ErrorCode.NO_SUCH_EXTENT, "pid=" + Long.toUnsignedString(pid) + " does not exist");
    }
    return pe;
  }

  private static List<Candidate> candidates(MetaTables t) {
    List<Candidate> out = new ArrayList<>();
    for (Chunk c : t.chunks().all()) {
      out.add(new Candidate(c.cid(), c.zone(), c.status(), c.lastSeenNanos(), t.extents().replicaCount(c.cid()),
          c.usedBytes(), c.full()));
    }
    return out;
  }
}
