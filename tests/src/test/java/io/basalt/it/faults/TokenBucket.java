package io.basalt.it.faults;

/**
 * A byte-rate limiter for one direction of a {@link FaultProxy}, shared by all its connections like a link is.
 * The burst is 1/20 s worth of bytes so that a throttled transfer is smooth (a one-second burst would let a
 * test's whole payload through before the limit bites). Relays take what is granted and slice their buffers to
 * it; when nothing is granted they ask how long to wait and reschedule, which pauses reading through the
 * relay's queue limit. Thread-safe: connections may live on different event loops.
 */
final class TokenBucket {
  private final long bytesPerSecond;
  private final long burst;
  private double tokens;
  private long lastNanos;

  TokenBucket(long bytesPerSecond) {
    if (bytesPerSecond <= 0) {
      throw new IllegalArgumentException("rate must be positive: " + bytesPerSecond);
    }
    this.bytesPerSecond = bytesPerSecond;
    this.burst = Math.max(1, bytesPerSecond / 20);
    this.tokens = burst;
    this.lastNanos = System.nanoTime();
  }

  long rate() {
    return bytesPerSecond;
  }

  /** Takes up to {@code want} bytes; 0 while fewer than a useful amount (half a burst, or all of want) are there. */
  synchronized long take(long want) {
    refill();
    if (tokens < minUseful(want)) {
      return 0;
    }
    long n = Math.min(want, (long) tokens);
    tokens -= n;
    return n;
  }

  /** How long until {@link #take} would grant something for {@code want} bytes. */
  synchronized long nanosUntilAvailable(long want) {
    refill();
    double deficit = minUseful(want) - tokens;
    return deficit <= 0 ? 0 : (long) Math.ceil(deficit * 1_000_000_000d / bytesPerSecond);
  }

  private long minUseful(long want) {
    return Math.max(1, Math.min(want, burst / 2));
  }

  private void refill() {
    long now = System.nanoTime();
    tokens = Math.min(burst, tokens + (now - lastNanos) * (double) bytesPerSecond / 1_000_000_000d);
    lastNanos = now;
  }
}
