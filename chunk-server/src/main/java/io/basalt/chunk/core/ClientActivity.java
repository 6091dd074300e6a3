package io.basalt.chunk.core;

import io.basalt.common.MonotonicClock;
import java.util.concurrent.TimeUnit;

/**
 * Whether this chunk is serving client I/O now: the data services mark every client read, write and replicated
 * write, and recovery copies slow down while the mark is recent (client I/O comes first). Marking costs one volatile
 * read per I/O and at most one volatile write per millisecond, so the event loops do not fight over the field.
 */
public final class ClientActivity {
  /** How long after the last client I/O the chunk still counts as busy. */
  public static final long WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final long GRANULARITY_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  private final MonotonicClock clock;
  private volatile long last;

  /** @param clock the chunk's clock (the busy window is a time decision: tests drive it by hand) */
  public ClientActivity(MonotonicClock clock) {
    this.clock = clock;
    this.last = clock.nanoTime() - 2 * WINDOW_NANOS;
  }

  /** A client I/O arrived. */
  public void mark() {
    long now = clock.nanoTime();
    if (now - last >= GRANULARITY_NANOS) last = now;
  }

  /** Whether a client I/O arrived within the last {@link #WINDOW_NANOS}. */
  public boolean busy() {
    return clock.nanoTime() - last < WINDOW_NANOS;
  }
}
