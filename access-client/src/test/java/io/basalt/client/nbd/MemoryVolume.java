package io.basalt.client.nbd;

import io.basalt.client.volume.Volume;
import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A {@link Volume} in a byte array, for tests. Completes on another thread (like the real client), can fail every
 * operation with a chosen code, and can hold completions behind a gate so tests control ordering and concurrency.
 */
final class MemoryVolume implements Volume {
  private final String name;
  private final byte[] data;
  private final int blockSize;
  private final Executor completer = ForkJoinPool.commonPool();
  private volatile ErrorCode failure;
  private volatile CompletableFuture<Void> gate = CompletableFuture.completedFuture(null);
  private volatile boolean gateReadsOnly;
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicInteger maxPending = new AtomicInteger();
  final AtomicInteger flushes = new AtomicInteger();
  final AtomicInteger fuaWrites = new AtomicInteger();
  final AtomicInteger trims = new AtomicInteger();
  final AtomicInteger zeroWrites = new AtomicInteger();

  MemoryVolume(String name, int size, int blockSize) {
    this.name = name;
    this.data = new byte[size];
    this.blockSize = blockSize;
  }

  MemoryVolume(String name, int size) {
    this(name, size, 4096);
  }

  /** Every later operation fails with {@code code}; null restores normal operation. */
  void failWith(ErrorCode code) {
    this.failure = code;
  }

  /** Holds completions of later operations (only reads if {@code readsOnly}) until {@link #resume()}. */
  void pause(boolean readsOnly) {
    gateReadsOnly = readsOnly;
    gate = new CompletableFuture<>();
  }

  void resume() {
    gate.complete(null);
  }

  /** Operations issued but not completed yet. */
  int pending() {
    return pending.get();
  }

  /** Most operations ever outstanding at once. */
  int maxPending() {
    return maxPending.get();
  }

  synchronized byte[] snapshot(int offset, int length) {
    return Arrays.copyOfRange(data, offset, offset + length);
  }

  synchronized void fill(int offset, byte[] bytes) {
    System.arraycopy(bytes, 0, data, offset, bytes.length);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public long size() {
    return data.length;
  }

  @Override
  public int blockSize() {
    return blockSize;
  }

  @Override
  public CompletableFuture<ByteBuf> read(long offset, int length) {
    return run(true, () -> {
      check(offset, length);
      ByteBuf buf = ByteBufAllocator.DEFAULT.buffer(length);
      synchronized (this) {
        buf.writeBytes(data, (int) offset, length);
      }
      return buf;
    });
  }

  @Override
  public CompletableFuture<Void> write(long offset, ByteBuf buf, boolean fua) {
    return run(false, buf, () -> {
      check(offset, buf.readableBytes());
      synchronized (this) {
        buf.getBytes(buf.readerIndex(), data, (int) offset, buf.readableBytes());
      }
      if (fua) {
        fuaWrites.incrementAndGet();
      }
      return null;
    });
  }

  @Override
  public CompletableFuture<Void> flush() {
    return run(false, () -> {
      flushes.incrementAndGet();
      return null;
    });
  }

  @Override
  public CompletableFuture<Void> trim(long offset, long length) {
    return run(false, () -> {
      zero(offset, length);
      trims.incrementAndGet();
      return null;
    });
  }

  @Override
  public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
    return run(false, () -> {
      zero(offset, length);
      zeroWrites.incrementAndGet();
      return null;
    });
  }

  @Override
  public void close() {}

  private void zero(long offset, long length) {
    check(offset, length);
    synchronized (this) {
      Arrays.fill(data, (int) offset, (int) (offset + length), (byte) 0);
    }
  }

  private void check(long offset, long length) {
    if (offset < 0 || length < 0 || offset + length > data.length) {
      throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "range outside volume " + name);
    }
  }

  private <T> CompletableFuture<T> run(boolean isRead, Supplier<T> op) {
    return run(isRead, null, op);
  }

  /** Runs {@code op} on another thread after the gate opens; {@code owned} is released in any case. */
  private <T> CompletableFuture<T> run(boolean isRead, ByteBuf owned, Supplier<T> op) {
    int now = pending.incrementAndGet();
    maxPending.accumulateAndGet(now, Math::max);
    ErrorCode failing = failure;
    CompletableFuture<Void> wait = isRead || !gateReadsOnly ? gate : CompletableFuture.completedFuture(null);
    return wait.thenApplyAsync(ignored -> {
      try {
        if (failing != null) {
          throw new BasaltException(failing, "injected failure");
        }
        return op.get();
      } finally {
        if (owned != null) {
          owned.release();
        }
        pending.decrementAndGet();
      }
    }, completer);
  }
}
