package io.basalt.it.fault;

import io.basalt.client.volume.Volume;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A closed-loop 4 KiB random load through the block client, for benchmarks: {@code depth} chains, each issuing its
 * next I/O when the previous one completes, until the duration has passed. The J1 (writes) and J2 (reads) shapes of
 * deploy/bench/jobs.fio, measured in-process where fio cannot run (a process cluster without an NBD server).
 */
final class ClosedLoopLoad {
  private static final int BLOCK = 4096;

  private final Volume volume;
  private final long span;
  private final boolean writes;
  private final AtomicLong done = new AtomicLong();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private long deadline;
  private CountDownLatch chains;

  private ClosedLoopLoad(Volume volume, long span, boolean writes) {
    this.volume = volume;
    this.span = span;
    this.writes = writes;
  }

  /** I/Os per second of a {@code depth}-deep random 4 KiB load over [0, span) of {@code volume} for {@code time}. */
  static double run(Volume volume, long span, boolean writes, int depth, Duration time) throws InterruptedException {
    ClosedLoopLoad load = new ClosedLoopLoad(volume, span, writes);
    long start = System.nanoTime();
    load.deadline = start + time.toNanos();
    load.chains = new CountDownLatch(depth);
    for (int i = 0; i < depth; i++) load.next();
    if (!load.chains.await(time.toMillis() + 60_000, TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException("load did not drain within a minute of its end");
    }
    if (load.failure.get() != null) throw new IllegalStateException("load I/O failed", load.failure.get());
    return load.done.get() / ((System.nanoTime() - start) / 1e9);
  }

  private void next() {
    if (System.nanoTime() >= deadline || failure.get() != null) {
      chains.countDown();
      return;
    }
    long offset = ThreadLocalRandom.current().nextLong(span / BLOCK) * BLOCK;
    CompletableFuture<?> io;
    if (writes) {
      ByteBuf data = PooledByteBufAllocator.DEFAULT.directBuffer(BLOCK);
      data.writeLong(offset).writeLong(System.nanoTime()).writeZero(BLOCK - 16);
      io = volume.write(offset, data, false); // the volume releases data
    } else {
      io = volume.read(offset, BLOCK).thenAccept(ByteBuf::release);
    }
    io.whenComplete((v, err) -> {
      if (err != null) {
        failure.compareAndSet(null, err);
      } else {
        done.incrementAndGet();
      }
      next();
    });
  }
}
