package io.basalt.chunk.owner;

import io.basalt.chunk.core.ChunkMetrics;
import io.basalt.chunk.core.ClientActivity;
import io.basalt.chunk.core.PidTasks;
import io.basalt.chunk.core.RequestChecks;
import io.basalt.chunk.store.BlockCorruptException;
import io.basalt.chunk.store.ReplicaStore;
import io.basalt.common.MonotonicClock;
import io.basalt.common.OrderedExecutor;
import io.basalt.proto.Envelope;
import io.basalt.proto.FlushResponse;
import io.basalt.proto.ReadRequest;
import io.basalt.proto.ReadResponse;
import io.basalt.proto.WriteRequest;
import io.basalt.proto.WriteResponse;
import io.basalt.rpc.Frame;
import io.basalt.rpc.FrameLimits;
import io.basalt.rpc.Reply;
import io.basalt.rpc.RpcServer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Client-facing RPC endpoint of the chunk: Write, Read and Flush. Handlers run on Netty event loops, which are also
 * the pids' ordered threads: a request read on its pid's loop runs to completion there ({@link ExtentOwner});
 * small store reads run on the receiving loop, large ones and WAL syncs on the io pool.
 * The write payload stays owned by the RPC server, which releases it after the reply future completes; the
 * owner's peer queues keep their own retained slices.
 */
public final class DataService {
  /** Reads up to this size are served on the event loop that received them. */
  static final int INLINE_READ_MAX = 64 << 10;
  private final OrderedExecutor ordered;
  private final Executor io;
  private final ExtentOwner owner;
  private final OwnerReads reads;
  private final FlushOp flush;
  private final ReplicaStore store;
  private final ChunkMetrics metrics;
  private final ClientActivity activity;
  private final MonotonicClock clock;
  private final ReadRepair repair;

  /** @param clock the chunk's clock, on which a write's deadline is set (and checked by the owner) */
  public DataService(OrderedExecutor ordered, Executor io, ExtentOwner owner, OwnerReads reads, FlushOp flush,
      ReplicaStore store, ChunkMetrics metrics, ClientActivity activity, MonotonicClock clock, ReadRepair repair) {
    this.repair = repair;
    this.clock = clock;
    this.activity = activity;
    this.ordered = ordered;
    this.io = io;
    this.owner = owner;
    this.reads = reads;
    this.flush = flush;
    this.store = store;
    this.metrics = metrics;
  }

  public RpcServer.Builder register(RpcServer.Builder b) {
    return b.handle(Envelope.BodyCase.WRITE, this::write)
        .handle(Envelope.BodyCase.READ, this::read)
        .handle(Envelope.BodyCase.FLUSH, this::flush);
  }

  private CompletableFuture<Reply> write(Frame f) {
    WriteRequest req = f.header().getWrite();
    RequestChecks.write(req, f.data(), FrameLimits.DEFAULT);
    activity.mark();
    long start = System.nanoTime(); // latency metric only
    ByteBuf data = f.data();
    long budgetMs = f.header().getDeadlineMs();
    long deadline = clock.nanoTime() + (budgetMs > 0 ? TimeUnit.MILLISECONDS.toNanos(budgetMs) : Long.MAX_VALUE / 2);
    return PidTasks.onPid(ordered, req.getPid(), "write", () -> owner.write(req, data, deadline))
        .whenComplete((gen, err) -> metrics.write(err == null).update(System.nanoTime() - start,
            TimeUnit.NANOSECONDS))
        .thenApply(gen -> Reply.of(Envelope.newBuilder().setWriteResponse(WriteResponse.newBuilder().setGen(gen))));
  }

  private CompletableFuture<Reply> read(Frame f) {
    ReadRequest req = f.header().getRead();
    RequestChecks.read(req, FrameLimits.DEFAULT);
    activity.mark();
    long pid = req.getPid();
    long start = System.nanoTime();
    CompletableFuture<Reply> reply;
    Optional<OwnerReads.ReadPlan> owned;
    try {
      owned = reads.prepareReadIfOwner(req);
    } catch (RuntimeException e) {
      owned = Optional.empty(); // let the ordered path report it with pid context
    }
    if (owned.isPresent()) {
      // Fast path: already the owner, one hop to the io pool.
      OwnerReads.ReadPlan plan = owned.get();
      reply = readReply(plan);
    } else {
      reply = PidTasks.onPid(ordered, pid, "read", () -> reads.prepareRead(req)).thenCompose(this::readReply);
    }
    return reply.whenComplete((r, err) -> metrics.read(err == null).update(System.nanoTime() - start,
            TimeUnit.NANOSECONDS));
  }

  /**
   * The store read, held back until the writes it may contain are acknowledged. A small read runs where it is (the
   * event loop that received it: memtable, block cache or page cache, microseconds); a large one goes to the io
   * pool so one 1 MiB read does not hold up every other request of the loop.
   */
  private CompletableFuture<Reply> readReply(OwnerReads.ReadPlan plan) {
    long pid = plan.pid();
    CompletableFuture<ByteBuf> data;
    if (plan.length() <= INLINE_READ_MAX) {
      try {
        data = CompletableFuture.completedFuture(store.read(pid, plan.offset(), plan.length(),
            PooledByteBufAllocator.DEFAULT));
      } catch (BlockCorruptException bad) {
        data = repair.repair(plan, bad); // served from a member and repaired here (F19 a/b)
      } catch (RuntimeException e) {
        data = PidTasks.isolate(CompletableFuture.failedFuture(e), pid, "read");
      }
    } else {
      data = PidTasks.on(io, pid, "read", () -> store.read(pid, plan.offset(), plan.length(),
          PooledByteBufAllocator.DEFAULT)).exceptionallyCompose(e -> {
            Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            return c instanceof BlockCorruptException bad ? repair.repair(plan, bad)
                : CompletableFuture.failedFuture(c);
          });
    }
    return data
        .thenCompose(buf -> PidTasks.isolate(reads.settle(plan, buf), pid, "read"))
        .thenApply(buf -> Reply.of(Envelope.newBuilder().setReadResponse(ReadResponse.newBuilder()
            .setGen(plan.gen())), buf));
  }

  private CompletableFuture<Reply> flush(Frame f) {
    RequestChecks.flush(f.header().getFlush());
    var pids = f.header().getFlush().getPidsList();
    long pid = pids.isEmpty() ? 0 : pids.get(0);
    CompletableFuture<Void> done;
    try {
      done = flush.flush(pids);
    } catch (RuntimeException e) {
      done = CompletableFuture.failedFuture(e);
    }
    return PidTasks.isolate(done, pid, "flush")
        .thenApply(v -> Reply.of(Envelope.newBuilder().setFlushResponse(FlushResponse.getDefaultInstance())));
  }
}
