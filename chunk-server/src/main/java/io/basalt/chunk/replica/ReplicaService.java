package io.basalt.chunk.replica;

import io.basalt.chunk.core.ClientActivity;
import io.basalt.chunk.core.PidTasks;
import io.basalt.chunk.core.RequestChecks;
import io.basalt.chunk.integrity.ScrubDigests;
import io.basalt.chunk.store.ReplicaStore;
import io.basalt.common.OrderedExecutor;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.RepairReadRequest;
import io.basalt.proto.RepairReadResponse;
import io.basalt.proto.ReplicaScrub;
import io.basalt.proto.ReplicateRequest;
import io.basalt.proto.ReplicateResponse;
import io.basalt.proto.ScrubDigestRequest;
import io.basalt.proto.SyncWalResponse;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.Frame;
import io.basalt.rpc.FrameLimits;
import io.basalt.rpc.Reply;
import io.basalt.rpc.RpcServer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Owner-to-replica RPC endpoint: Replicate (applied on the pid's ordered thread by {@link ReplicaApplier}, in the
 * order the event loop received them, which is the owner's send order) and SyncWal (on the io pool). Handlers
 * run on Netty event loops and only hop.
 */
public final class ReplicaService {
  private final OrderedExecutor ordered;
  private final Executor io;
  private final ReplicaApplier applier;
  private final ReplicaStore store;
  private final ClientActivity activity;
  private final ScrubDigests scrubs;
  /** How long a member waits to reach the gen a scrub asks for (the owner's replicate of it is on its way). */
  static final long SCRUB_WAIT_MS = 10_000;
  /** A repair read is one client read's blocks: at most 32 MiB, the largest read a frame carries. */
  private static final int MAX_REPAIR_READ = 32 << 20;

  public ReplicaService(OrderedExecutor ordered, Executor io, ReplicaApplier applier, ReplicaStore store,
      ClientActivity activity, ScrubDigests scrubs) {
    this.scrubs = scrubs;
    this.activity = activity;
    this.ordered = ordered;
    this.io = io;
    this.applier = applier;
    this.store = store;
  }

  public RpcServer.Builder register(RpcServer.Builder b) {
    return b.handle(Envelope.BodyCase.REPLICATE, this::replicate)
        .handle(Envelope.BodyCase.REPLICATE_BATCH, this::replicateBatch)
        .handle(Envelope.BodyCase.SYNC_WAL, this::syncWal)
        .handle(Envelope.BodyCase.SCRUB_DIGEST, this::scrubDigest)
        .handle(Envelope.BodyCase.REPAIR_READ, this::repairRead);
  }

  /**
   * The owner's read repair: this member's current bytes of a block-aligned range, admitted like a replicate (epoch
   * checks, replicate order) and CRC-checked (a corrupt block here fails it, and the owner asks another member).
   */
  private CompletableFuture<Reply> repairRead(Frame f) {
    RepairReadRequest r = f.header().getRepairRead();
    long pid = r.getPid();
    if (pid <= 0 || r.getOffset() % ReplicaStore.BLOCK_SIZE != 0 || r.getLength() <= 0
        || r.getLength() % ReplicaStore.BLOCK_SIZE != 0 || r.getLength() > MAX_REPAIR_READ) {
      return CompletableFuture.failedFuture(new BasaltException(ErrorCode.INVALID_ARGUMENT, "repair read: pid > 0 and"
          + " a block-aligned range within one frame expected pid=" + pid + " offset=" + r.getOffset() + " length="
          + r.getLength()));
    }
    return PidTasks.onPid(ordered, pid, "repair read", () -> applier.inOrder(pid,
        () -> applier.admit(pid, r.getEpoch(), r.getOwnerCid(), "repair read").thenApply(m -> Reply.of(
            Envelope.newBuilder().setRepairReadResponse(RepairReadResponse.newBuilder().setGen(m == null ? 0
                : m.gen())), store.read(pid, r.getOffset(), r.getLength(), PooledByteBufAllocator.DEFAULT)))));
  }

  /**
   * A member's scrub digest at the owner's gen (DESIGN.md "Consistency check"): admitted like a replicate (epoch
   * checks, replicate order), then taken at once, or when the replica reaches that gen, or answered gen_passed. The
   * wait for the gen happens outside the pid's call order, which the replicates it waits for need.
   */
  private CompletableFuture<Reply> scrubDigest(Frame f) {
    ScrubDigestRequest r = f.header().getScrubDigest();
    long pid = r.getPid();
    int rangeBlocks;
    try {
      if (pid <= 0) throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "scrub digest: pid must be > 0");
      rangeBlocks = ScrubDigests.rangeBlocks(r.getRangeBytes());
    } catch (BasaltException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<CompletableFuture<ReplicaScrub>> registered = PidTasks.onPid(ordered, pid, "scrub digest",
        () -> applier.inOrder(pid, () -> applier.admit(pid, r.getEpoch(), r.getOwnerCid(), "scrub digest")
            .thenApply(m -> scrubs.digestAt(pid, r.getGen(), r.getDeep(), rangeBlocks, SCRUB_WAIT_MS))));
    return registered.thenCompose(x -> x)
        .thenApply(rs -> Reply.of(Envelope.newBuilder().setReplicaScrub(rs)));
  }

  private CompletableFuture<Reply> replicate(Frame f) {
    ReplicateRequest r = f.header().getReplicate();
    RequestChecks.replicate(r, f.data(), FrameLimits.DEFAULT);
    return apply(List.of(r), f.data());
  }

  /** Applies the entries in order on the pid's thread as one batch; the data of WRITE entries follows in order. */
  private CompletableFuture<Reply> replicateBatch(Frame f) {
    RequestChecks.replicateBatch(f.header().getReplicateBatch(), f.data());
    var entries = f.header().getReplicateBatch().getEntriesList();
    if (entries.isEmpty()) {
      return CompletableFuture.failedFuture(new BasaltException(ErrorCode.INVALID_ARGUMENT, "empty replicate batch"));
    }
    ReplicateRequest first = entries.get(0);
    for (ReplicateRequest r : entries) {
      if (r.getPid() != first.getPid()) {
        return CompletableFuture.failedFuture(new BasaltException(ErrorCode.INVALID_ARGUMENT,
            "replicate batch mixes pid=" + first.getPid() + " and pid=" + r.getPid()));
      }
      if (r.getEpoch() != first.getEpoch() || r.getOwnerCid() != first.getOwnerCid()) {
        return CompletableFuture.failedFuture(new BasaltException(ErrorCode.INVALID_ARGUMENT,
            "replicate batch mixes epochs or owners pid=" + first.getPid()));
      }
    }
    return apply(entries, f.data());
  }

  /**
   * Admits and applies on the pid's thread (run to completion when the frame was read there); a FUA entry's WAL
   * sync runs on the io pool before the reply, so the loop never waits for the disk.
   */
  private CompletableFuture<Reply> apply(List<ReplicateRequest> entries, ByteBuf data) {
    activity.mark();
    ReplicateRequest first = entries.get(0);
    long pid = first.getPid();
    boolean sync = false;
    for (ReplicateRequest r : entries) sync |= r.getSync();
    CompletableFuture<Long> applied = PidTasks.onPid(ordered, pid, "replicate", () -> applier.inOrder(pid,
        () -> applier.admit(pid, first.getEpoch(), first.getOwnerCid(), "replicate")
            .thenApply(m -> applier.applyAll(entries, data, m))));
    if (sync) {
      applied = applied.thenCompose(gen -> PidTasks.on(io, pid, "replicate sync", () -> {
        store.syncWal();
        return gen;
      }));
    }
    return applied.thenApply(gen -> Reply.of(Envelope.newBuilder()
        .setReplicateResponse(ReplicateResponse.newBuilder().setAppliedGen(gen))));
  }

  private CompletableFuture<Reply> syncWal(Frame f) {
    RequestChecks.syncWal(f.header().getSyncWal(), f.data());
    return PidTasks.on(io, 0, "sync wal", () -> {
      store.syncWal();
      return Reply.of(Envelope.newBuilder().setSyncWalResponse(SyncWalResponse.getDefaultInstance()));
    });
  }
}
