package io.basalt.common;

import java.util.function.LongSupplier;

/**
 * Where Basalt reads elapsed time: leases, deadlines, session expiry, pause detection and backoffs all compare
 * {@link #nanoTime()} readings, never wall-clock time. Injected into every class that decides on time, so unit tests
 * drive it with {@code ManualClock} (proto's test-jar) instead of sleeping, and a test can make a process look paused.
 *
 * <p>Only differences between readings of one clock mean anything (as with {@link System#nanoTime()}).
 * Implementations are thread-safe. It is a {@link LongSupplier} so code written against a supplier of nanos takes it.
 */
@FunctionalInterface
public interface MonotonicClock extends LongSupplier {
  /** The process's monotonic clock ({@link System#nanoTime()}). */
  MonotonicClock SYSTEM = System::nanoTime;

  /** Nanoseconds since an arbitrary origin fixed for this clock. */
  long nanoTime();

  @Override
  default long getAsLong() {
    return nanoTime();
  }

  /** Milliseconds on this clock (same origin as {@link #nanoTime()}). */
  default long millis() {
    return nanoTime() / 1_000_000L;
  }
}
