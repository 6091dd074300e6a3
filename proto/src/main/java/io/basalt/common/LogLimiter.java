package io.basalt.common;

import com.google.common.util.concurrent.RateLimiter;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Rate limit for warnings a peer can trigger at will (refused connections, malformed frames): at most a few lines
 * a second, each telling how many were suppressed since the last one. Thread-safe.
 */
public final class LogLimiter {
  private final RateLimiter permits;
  private final AtomicLong suppressed = new AtomicLong();

  public LogLimiter(double perSecond) {
    this.permits = RateLimiter.create(perSecond);
  }

  /** -1 when this line must be dropped, else how many were dropped before it. */
  public long tryLog() {
    if (!permits.tryAcquire()) {
      suppressed.incrementAndGet();
      return -1;
    }
    return suppressed.getAndSet(0);
  }
}
