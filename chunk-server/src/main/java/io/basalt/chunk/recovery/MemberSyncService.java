package io.basalt.chunk.recovery;

import io.basalt.chunk.core.PidTasks;
import io.basalt.chunk.core.RequestChecks;
import io.basalt.chunk.store.ByteRange;
import io.basalt.chunk.store.ChangePage;
import io.basalt.chunk.store.ExtentEpoch;
import io.basalt.chunk.store.ReplicaMeta;
import io.basalt.chunk.store.ReplicaStore;
import io.basalt.common.OrderedExecutor;
import io.basalt.proto.ApplyChangesRequest;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.FetchChangesRequest;
import io.basalt.proto.FetchChangesResponse;
import io.basalt.proto.SyncStatusRequest;
import io.basalt.proto.SyncStatusResponse;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.Frame;
import io.basalt.rpc.Reply;
import io.basalt.rpc.RpcServer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The member's side of a lease takeover's catch-up (owner side: {@link MemberSync}): SyncStatus, FetchChanges
 * and ApplyChanges. Each runs on the pid's ordered thread, after the epoch checks Replicate gets
 * ({@link ReplicaAdmission#admit}), so it is ordered with that pid's replicates and a takeover's SyncStatus at a
 * newer epoch fences the previous owner. Handlers run on Netty event loops and only validate and hop.
 */
public final class MemberSyncService {
  private static final Logger log = LoggerFactory.getLogger(MemberSyncService.class);
  /** Largest page a member sends, whatever the caller asks (frames are capped at 33 MiB). */
  static final int MAX_PAGE_BYTES = 16 << 20;

  private final OrderedExecutor ordered;
  private final ReplicaAdmission applier;
  private final ReplicaStore store;

  public MemberSyncService(OrderedExecutor ordered, ReplicaAdmission applier, ReplicaStore store) {
    this.ordered = ordered;
    this.applier = applier;
    this.store = store;
  }

  public RpcServer.Builder register(RpcServer.Builder b) {
    return b.handle(Envelope.BodyCase.SYNC_STATUS, this::syncStatus)
        .handle(Envelope.BodyCase.FETCH_CHANGES, this::fetchChanges)
        .handle(Envelope.BodyCase.APPLY_CHANGES, this::applyChanges);
  }

  private CompletableFuture<Reply> syncStatus(Frame f) {
    SyncStatusRequest r = f.header().getSyncStatus();
    RequestChecks.syncStatus(r);
    return PidTasks.onPid(ordered, r.getPid(), "sync status", () -> applier.inOrder(r.getPid(),
        () -> applier.admit(r.getPid(), r.getEpoch(), r.getOwnerCid(), "sync status")
            .thenApply(m -> status(r.getPid(), m))));
  }

  private CompletableFuture<Reply> fetchChanges(Frame f) {
    FetchChangesRequest r = f.header().getFetchChanges();
    RequestChecks.fetchChanges(r);
    long pid = r.getPid();
    List<ByteRange> include = ByteRange.fromProto("fetch changes include", pid, r.getIncludeList(),
        ByteRange.MAX_UNPAGED);
    return PidTasks.onPid(ordered, pid, "fetch changes", () -> applier.inOrder(pid,
        () -> applier.admit(pid, r.getEpoch(), r.getOwnerCid(), "fetch changes").thenApply(m -> {
      long gen = m == null ? 0 : m.gen();
      if (r.getSinceGen() > gen) {
        throw invalid("changes since gen=" + r.getSinceGen() + " asked but this member has gen=" + gen + " pid="
            + pid);
      }
      if (!store.partialRanges(pid).isEmpty()) {
        throw new BasaltException(ErrorCode.UNAVAILABLE, "member has an unfinished catch-up, it cannot be a source"
            + " pid=" + pid + " gen=" + gen, true);
      }
      Optional<List<ByteRange>> changed = store.changedSince(pid, r.getSinceGen());
      FetchChangesResponse.Builder out = FetchChangesResponse.newBuilder().setGen(gen);
      if (changed.isEmpty()) {
        log.info("fetch changes: log truncated pid={} sinceGen={} gen={} ownerCid={}", pid, r.getSinceGen(), gen,
            r.getOwnerCid());
        return Reply.of(Envelope.newBuilder().setFetchChangesResponse(out.setLogTruncated(true)));
      }
      List<ByteRange> all = new ArrayList<>(changed.get());
      all.addAll(include);
      ChangePage page = ChangePage.of(ByteRange.merge(all), r.getStartOffset(),
          Math.min(r.getMaxBytes(), MAX_PAGE_BYTES));
      ByteBuf data = read(pid, page.ranges());
      page.ranges().forEach(x -> out.addRanges(x.toProto()));
      out.setNextOffset(page.nextOffset());
      return Reply.of(Envelope.newBuilder().setFetchChangesResponse(out), data);
    })));
  }

  private CompletableFuture<Reply> applyChanges(Frame f) {
    ApplyChangesRequest r = f.header().getApplyChanges();
    ByteBuf data = f.data();
    RequestChecks.applyChanges(r, data);
    long pid = r.getPid();
    List<ByteRange> ranges = ByteRange.fromProto("apply changes", pid, r.getRangesList(),
        RequestChecks.MAX_CHANGE_RANGES);
    return PidTasks.onPid(ordered, pid, "apply changes", () -> applier.inOrder(pid,
        () -> applier.admit(pid, r.getEpoch(), r.getOwnerCid(), "apply changes").thenApply(admitted -> {
      store.applyChanges(new ExtentEpoch(pid, r.getEpoch()), r.getBaseGen(), r.getToGen(), ranges, data, r.getLast());
      if (r.getLast()) {
        log.info("member caught up pid={} epoch={} baseGen={} gen={} ownerCid={}", pid, r.getEpoch(),
            r.getBaseGen(), r.getToGen(), r.getOwnerCid());
      }
      return status(pid, store.replica(pid).orElse(null));
    })));
  }

  private Reply status(long pid, ReplicaMeta m) {
    SyncStatusResponse.Builder b = SyncStatusResponse.newBuilder().setPid(pid).setExists(m != null);
    if (m != null) {
      b.setGen(m.gen()).setEpoch(m.epoch());
      for (ByteRange x : ByteRange.coarsen(store.partialRanges(pid), ByteRange.MAX_UNPAGED)) {
        b.addPartialRanges(x.toProto());
      }
    }
    return Reply.of(Envelope.newBuilder().setSyncStatusResponse(b));
  }

  /** The ranges' current bytes back to back, in pooled buffers (released here on failure, else by the server). */
  private ByteBuf read(long pid, List<ByteRange> ranges) {
    CompositeByteBuf out = PooledByteBufAllocator.DEFAULT.compositeDirectBuffer(Math.max(2, ranges.size()));
    try {
      for (ByteRange x : ranges) {
        out.addComponent(true, store.read(pid, x.offset(), (int) x.length(), PooledByteBufAllocator.DEFAULT));
      }
      return out;
    } catch (RuntimeException e) {
      out.release();
      throw e;
    }
  }

  private static BasaltException invalid(String msg) {
    return new BasaltException(ErrorCode.INVALID_ARGUMENT, msg);
  }
}
