package io.basalt.bench.loader;

import io.basalt.client.volume.Volume;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.SplittableRandom;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Keeps {@code queueDepth} writes in flight on a volume for a given time, as fio's iodepth does: one submitting
 * thread takes a permit per write and each completion gives it back, so completions (on client threads) never
 * submit and never block. Writes smaller than 1 MiB go to random aligned offsets, larger ones sequentially (fio's
 * J1 and J3 patterns). Payloads are a few random buffers wrapped per write: no copy, no all-zero blocks (which the
 * store would delete instead of writing).
 */
final class WriteLoad {
  private static final int PAYLOADS = 16;
  private static final long DRAIN_SECONDS = 30;

  /** Outcome of one phase. {@code firstError} is null when every write succeeded. */
  record Result(long writes, long failures, long elapsedNanos, long[] sortedLatencyNanos, Throwable firstError) {}

  private final Volume volume;
  private final int writeSize;
  private final int queueDepth;
  private final byte[][] payloads;
  private final SplittableRandom random = new SplittableRandom(1);
  private long nextSequential;

  WriteLoad(Volume volume, int writeSize, int queueDepth) {
    this.volume = volume;
    this.writeSize = writeSize;
    this.queueDepth = queueDepth;
    this.payloads = new byte[PAYLOADS][writeSize];
    for (byte[] p : payloads) {
      random.nextBytes(p);
    }
  }

  /** Runs for {@code seconds}, then waits for the writes in flight; their latencies count, the time does not. */
  Result run(int seconds) throws InterruptedException {
    Semaphore slots = new Semaphore(queueDepth);
    Latencies latencies = new Latencies();
    AtomicLong writes = new AtomicLong();
    AtomicLong failures = new AtomicLong();
    AtomicReference<Throwable> firstError = new AtomicReference<>();
    long start = System.nanoTime();
    long end = start + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < end) {
      if (!slots.tryAcquire(end - System.nanoTime(), TimeUnit.NANOSECONDS)) {
        break;
      }
      ByteBuf data = Unpooled.wrappedBuffer(payloads[random.nextInt(PAYLOADS)]);
      long sent = System.nanoTime();
      volume.write(nextOffset(), data, false).whenComplete((ok, error) -> {
        if (error == null) {
          latencies.add(System.nanoTime() - sent);
          writes.incrementAndGet();
        } else {
          failures.incrementAndGet();
          firstError.compareAndSet(null, error);
        }
        slots.release();
      });
    }
    long elapsed = System.nanoTime() - start;
    if (!slots.tryAcquire(queueDepth, DRAIN_SECONDS, TimeUnit.SECONDS)) {
      throw new IllegalStateException("writes still in flight " + DRAIN_SECONDS + " s after the run ended");
    }
    return new Result(writes.get(), failures.get(), elapsed, latencies.sorted(), firstError.get());
  }

  private long nextOffset() {
    long blocks = volume.size() / writeSize;
    if (writeSize < (1 << 20)) {
      return random.nextLong(blocks) * writeSize;
    }
    long offset = nextSequential;
    nextSequential = (nextSequential + writeSize) % (blocks * writeSize);
    return offset;
  }
}
