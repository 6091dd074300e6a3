package io.basalt.it.check;

import io.basalt.client.volume.Volume;
import io.basalt.it.check.OpHistory.Kind;
import io.basalt.it.check.OpHistory.Op;
import io.basalt.it.check.OpHistory.Outcome;
import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One stamped operation against a {@link Volume}, recorded in the model, the history and the stats: the body of
 * every stresser worker. A write is in doubt unless acked (any error may come after sending); a read is decoded and
 * checked per block as it completes. Buffers: written data passes to the volume; read buffers are copied and
 * released on the completing thread, so an op abandoned at its backstop timeout leaks nothing.
 *
 * <p>Thread-safe; each caller must respect one writer per block and QD1 per block (the model enforces it), except
 * in the contended range, where several writers overlap (QD1 each).
 */
final class StressOps {
  private final Volume volume;
  private final BlockModel model;
  private final OpHistory history;
  private final StressStats stats;
  private final Duration opTimeout;
  private final AtomicLong opIds;

  StressOps(Volume volume, BlockModel model, OpHistory history, StressStats stats, Duration opTimeout) {
    this(volume, model, history, stats, opTimeout, new AtomicLong());
  }

  private StressOps(Volume volume, BlockModel model, OpHistory history, StressStats stats, Duration opTimeout,
      AtomicLong opIds) {
    this.volume = volume;
    this.model = model;
    this.history = history;
    this.stats = stats;
    this.opTimeout = opTimeout;
    this.opIds = opIds;
  }

  /** The ops of a resumed run: the same model, history and op ids (unique across runs), new figures. */
  StressOps forRun(Volume v, StressStats runStats) {
    return new StressOps(v, model, history, runStats, opTimeout, opIds);
  }

  /** Writes stamp {@code seq} of {@code writer} over {@code [lba, lba + n)}; returns the outcome. */
  Outcome write(int writer, long seq, long lba, int n, boolean fua) {
    long opId = opIds.incrementAndGet();
    byte[] data = new byte[n * BlockStamp.BLOCK];
    for (int i = 0; i < n; i++) {
      model.stamp(lba + i, writer, seq, opId).encodeInto(data, i * BlockStamp.BLOCK);
    }
    ByteBuf buf = ByteBufAllocator.DEFAULT.buffer(data.length).writeBytes(data);
    long invoke = model.writeInvoked(writer, seq, lba, n, opId);
    CompletableFuture<Void> f;
    try {
      f = volume.write(lba * BlockStamp.BLOCK, buf, fua);
    } catch (RuntimeException e) {
      if (buf.refCnt() > 0) {
        buf.release();
      }
      f = CompletableFuture.failedFuture(e);
    }
    Failure failure = await(f);
    Outcome o = failure == null ? Outcome.OK : failure.outcome;
    long complete = model.writeCompleted(writer, seq, lba, n, o == Outcome.OK);
    history.append(Op.write(opId, writer, lba, n, seq, invoke, complete, o, fua)
        .withOutcome(o, failure == null ? "" : failure.why));
    stats.write(o, complete - invoke);
    return o;
  }

  /** Reads {@code [lba, lba + n)} and checks every block; returns the violations (empty when fine or failed). */
  List<BlockModel.Violation> read(int reader, long lba, int n) {
    long opId = opIds.incrementAndGet();
    BlockModel.ReadToken token = model.readInvoked(lba, n);
    CompletableFuture<byte[]> f;
    try {
      f = volume.read(lba * BlockStamp.BLOCK, n * BlockStamp.BLOCK).thenApply(StressOps::copyAndRelease);
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    byte[][] got = new byte[1][];
    Failure failure = await(f.thenAccept(b -> got[0] = b));
    if (failure != null) {
      long now = System.nanoTime();
      history.append(new Op(opId, reader, Kind.READ, lba, n, 0, token.invokeNanos(), Math.max(now,
          token.invokeNanos()), failure.outcome, List.of(), failure.why));
      stats.readsFailed.increment();
      return List.of();
    }
    List<BlockStamp.Result> seen = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      seen.add(BlockStamp.decode(got[0], i * BlockStamp.BLOCK, lba + i));
    }
    BlockModel.ReadCheck check = model.readCompleted(token, seen, opId);
    history.append(Op.read(opId, reader, lba, seen, token.invokeNanos(), check.completeNanos()));
    stats.readsChecked.increment();
    stats.blocksChecked.add(n);
    for (BlockModel.Violation v : check.violations()) {
      history.note("VIOLATION " + v);
    }
    return check.violations();
  }

  /** Makes completed writes durable; recorded as a FLUSH op. */
  Outcome flush(int writer) {
    long opId = opIds.incrementAndGet();
    long invoke = System.nanoTime();
    Failure failure;
    try {
      failure = await(volume.flush());
    } catch (RuntimeException e) {
      failure = Failure.of(e);
    }
    long complete = System.nanoTime();
    Outcome o = failure == null ? Outcome.OK : failure.outcome;
    history.append(new Op(opId, writer, Kind.FLUSH, -1, 0, 0, invoke, complete, o, List.of(),
        failure == null ? "" : failure.why));
    (o == Outcome.OK ? stats.flushesOk : stats.flushesFailed).increment();
    return o;
  }

  private static byte[] copyAndRelease(ByteBuf b) {
    try {
      return ByteBufUtil.getBytes(b);
    } finally {
      b.release();
    }
  }

  private record Failure(Outcome outcome, String why) {
    static Failure of(Throwable t) {
      BasaltException b = BasaltException.of(t);
      return new Failure(b.code() == ErrorCode.TIMEOUT ? Outcome.TIMEOUT : Outcome.ERR, b.getMessage());
    }
  }

  /** Null on success; past the backstop the op is TIMEOUT (in doubt) and its late completion is ignored. */
  private Failure await(CompletableFuture<?> f) {
    try {
      f.get(opTimeout.toNanos(), TimeUnit.NANOSECONDS);
      return null;
    } catch (ExecutionException e) {
      return Failure.of(e.getCause());
    } catch (TimeoutException e) {
      return new Failure(Outcome.TIMEOUT, "no completion within the " + opTimeout.toMillis() + " ms backstop");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Failure(Outcome.TIMEOUT, "interrupted while waiting");
    }
  }
}
