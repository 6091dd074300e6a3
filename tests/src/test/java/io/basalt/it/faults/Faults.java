package io.basalt.it.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The immutable fault configuration of a {@link FaultProxy}. The proxy publishes a new instance through one volatile
 * field on every change, and relays read it once per chunk of bytes, so switching modes from a test thread needs no
 * locking on the I/O path and a chunk never sees half of a change.
 *
 * @param dropNew accept new connections and close them at once
 * @param blackhole read and discard in both directions, never close (overrides every forwarding setting)
 * @param loss the one direction whose bytes are discarded, or null
 * @param latency base delay added to every chunk
 * @param jitter uniform spread around {@code latency} (delay = latency ± jitter, never below zero)
 * @param bytesPerSecond throttle per direction, shared by all connections of the proxy; 0 = unlimited
 * @param delayed the one direction the latency applies to, or null for both
 */
public record Faults(boolean dropNew, boolean blackhole, Direction loss, Duration latency, Duration jitter,
    long bytesPerSecond, Direction delayed) {
  /** No fault: forward everything at once. */
  public static final Faults PASS = new Faults(false, false, null, Duration.ZERO, Duration.ZERO, 0, null);

  public Faults {
    if (latency.isNegative() || jitter.isNegative()) {
      throw new IllegalArgumentException("negative latency or jitter: " + latency + " " + jitter);
    }
    if (bytesPerSecond < 0) {
      throw new IllegalArgumentException("negative bandwidth: " + bytesPerSecond);
    }
  }

  /** True if bytes going {@code direction} are discarded instead of forwarded. */
  public boolean drops(Direction direction) {
    return blackhole || loss == direction;
  }

  /** True if no fault at all is configured. */
  public boolean isPass() {
    return equals(PASS);
  }

  /** The delay for the next chunk going {@code direction}: {@code latency ± jitter} drawn uniformly, at least 0. */
  long nextDelayNanos(Direction direction) {
    if (delayed != null && delayed != direction) {
      return 0;
    }
    long base = latency.toNanos();
    long spread = jitter.toNanos();
    if (spread == 0) {
      return base;
    }
    return Math.max(0, base + ThreadLocalRandom.current().nextLong(-spread, spread + 1));
  }

  Faults withDropNew(boolean v) {
    return new Faults(v, blackhole, loss, latency, jitter, bytesPerSecond, delayed);
  }

  Faults withBlackhole(boolean v) {
    return new Faults(dropNew, v, loss, latency, jitter, bytesPerSecond, delayed);
  }

  Faults withLoss(Direction v) {
    return new Faults(dropNew, blackhole, v, latency, jitter, bytesPerSecond, delayed);
  }

  Faults withLatency(Duration base, Duration spread, Direction only) {
    return new Faults(dropNew, blackhole, loss, base, spread, bytesPerSecond, only);
  }

  Faults withBandwidth(long v) {
    return new Faults(dropNew, blackhole, loss, latency, jitter, v, delayed);
  }

  /** Compact form for logs and failure messages, e.g. {@code latency=200ms±40ms,bandwidth=131072B/s}. */
  @Override
  public String toString() {
    List<String> parts = new ArrayList<>();
    if (dropNew) {
      parts.add("dropNew");
    }
    if (blackhole) {
      parts.add("blackhole");
    }
    if (loss != null) {
      parts.add("loss=" + loss);
    }
    if (!latency.isZero() || !jitter.isZero()) {
      parts.add("latency=" + latency.toMillis() + "ms±" + jitter.toMillis() + "ms"
          + (delayed == null ? "" : " " + delayed));
    }
    if (bytesPerSecond > 0) {
      parts.add("bandwidth=" + bytesPerSecond + "B/s");
    }
    return parts.isEmpty() ? "pass" : String.join(",", parts);
  }
}
