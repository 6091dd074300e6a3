package io.basalt.chunk.recovery;

import io.basalt.chunk.core.ClientActivity;
import io.basalt.chunk.core.PidTasks;
import io.basalt.chunk.core.RequestChecks;
import io.basalt.chunk.recovery.CopySource;
import io.basalt.chunk.store.ByteRange;
import io.basalt.chunk.store.PresentBlocks;
import io.basalt.chunk.store.ReplicaStore;
import io.basalt.common.OrderedExecutor;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.FetchBlocksRequest;
import io.basalt.proto.FetchBlocksResponse;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.Frame;
import io.basalt.rpc.Reply;
import io.basalt.rpc.RpcServer;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The owner's side of a recovery copy: FetchBlocks, a whole copy by address or an incremental catch-up
 * ({@link CatchUpPages}). The checks ({@link CopySource}: owner, lease, the asker is the
 * recovering peer at that recovery epoch) run on the pid's ordered thread; the block read itself on the io pool,
 * after them (so every write it misses is forwarded to the target). Handlers run on Netty event loops and only
 * validate and hop. The reply payload (the present blocks, pooled) is released by the RPC server.
 */
public final class RecoveryService {
  private static final Logger log = LoggerFactory.getLogger(RecoveryService.class);
  /** Largest batch served, whatever the target asks. */
  static final int MAX_BATCH_BYTES = 4 << 20;
  private static final int B = ReplicaStore.BLOCK_SIZE;

  private final OrderedExecutor ordered;
  private final Executor io;
  private final CopySource source;
  private final ReplicaStore store;
  private final ClientActivity activity;
  private final CatchUpPages catchUp;

  public RecoveryService(OrderedExecutor ordered, Executor io, CopySource source, ReplicaStore store,
      ClientActivity activity) {
    this.activity = activity;
    this.ordered = ordered;
    this.io = io;
    this.source = source;
    this.store = store;
    this.catchUp = new CatchUpPages(store);
  }

  public RpcServer.Builder register(RpcServer.Builder b) {
    return b.handle(Envelope.BodyCase.FETCH_BLOCKS, this::fetchBlocks);
  }

  private CompletableFuture<Reply> fetchBlocks(Frame f) {
    FetchBlocksRequest r = f.header().getFetchBlocks();
    RequestChecks.fetchBlocks(r);
    long pid = r.getPid();
    return PidTasks.onPid(ordered, pid, "fetch blocks", () -> source.prepare(r))
        .thenCompose(plan -> PidTasks.on(io, pid, "fetch blocks", () -> read(plan, r)));
  }

  private Reply read(CopySource.Plan plan, FetchBlocksRequest r) {
    long size = plan.extentSize();
    if (r.getOffset() >= size) {
      throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "fetch blocks offset=" + r.getOffset()
          + " beyond extent size=" + size + " pid=" + plan.pid());
    }
    if (r.getSinceGen() > 0) return readChanges(plan, r);
    long end = Math.min(size, r.getOffset() + Math.min(Integer.toUnsignedLong(r.getMaxBytes()), MAX_BATCH_BYTES));
    long readEnd = (end + B - 1) / B * B; // a ragged extent end: its last block whole
    PresentBlocks pb = store.readPresentBlocks(plan.pid(), r.getOffset(), (int) (readEnd - r.getOffset()),
        PooledByteBufAllocator.DEFAULT);
    FetchBlocksResponse.Builder out = FetchBlocksResponse.newBuilder().setEpoch(plan.epoch())
        .setOwnerCid(plan.ownerCid()).setNextOffset(end).setDone(end == size).setSourceBusy(activity.busy());
    for (long b : pb.blocks()) out.addBlocks(b);
    return Reply.of(Envelope.newBuilder().setFetchBlocksResponse(out), pb.data());
  }

  /** An incremental catch-up page ({@link CatchUpPages}), or full_copy_needed. */
  private Reply readChanges(CopySource.Plan plan, FetchBlocksRequest r) {
    FetchBlocksResponse.Builder out = FetchBlocksResponse.newBuilder().setEpoch(plan.epoch())
        .setOwnerCid(plan.ownerCid()).setSourceBusy(activity.busy());
    CatchUpPages.Changed changed = catchUp.changed(plan.pid(), r);
    if (changed.refusal() != null) {
      log.info("catch-up base refused pid={} epoch={} targetCid={} recoveryEpoch={}"
          + " sinceGen={} reason={}", plan.pid(), plan.epoch(), r.getTargetCid(), r.getRecoveryEpoch(),
          r.getSinceGen(), changed.refusal());
      return Reply.of(Envelope.newBuilder().setFetchBlocksResponse(out.setFullCopyNeeded(true)));
    }
    long budget = Math.min(Integer.toUnsignedLong(r.getMaxBytes()), MAX_BATCH_BYTES);
    CatchUpPages.Page page = CatchUpPages.page(changed.ranges(), r.getOffset(), budget, plan.extentSize());
    PresentBlocks pb = catchUp.read(plan.pid(), page, PooledByteBufAllocator.DEFAULT);
    out.setNextOffset(page.nextOffset()).setDone(page.done());
    for (ByteRange range : page.ranges()) out.addRanges(range.toProto());
    for (long b : pb.blocks()) out.addBlocks(b);
    return Reply.of(Envelope.newBuilder().setFetchBlocksResponse(out), pb.data());
  }
}
