package io.basalt.chunk.recovery;

import com.google.common.util.concurrent.RateLimiter;
import io.basalt.chunk.core.ClientActivity;

/**
 * The copy rate of one chunk's recoveries: meta's throttle (bytes/s over all tasks) while the chunk is otherwise idle,
 * and {@code busyShare} of it while it or the copy's source serves client I/O. On a node whose CPU and disk the copy
 * shares with clients, a copy at the full throttle halved client IOPS; yielding gives clients most of the node back
 * while the copy still progresses, and an idle chunk copies at the full rate.
 */
public final class CopyThrottle {
  private final RateLimiter limiter;
  private final ClientActivity activity;
  private final double busyShare;

  public CopyThrottle(RateLimiter limiter, ClientActivity activity, double busyShare) {
    if (!(busyShare > 0 && busyShare <= 1)) throw new IllegalArgumentException("busyShare must be in (0, 1]");
    this.limiter = limiter;
    this.activity = activity;
    this.busyShare = busyShare;
  }

  public long bytesPerSec() {
    return (long) limiter.getRate();
  }

  public void setBytesPerSec(long bytesPerSec) {
    limiter.setRate(bytesPerSec);
  }

  /**
   * Waits until {@code bytes} more may be copied: while this chunk or the copy's source ({@code sourceBusy}, from its
   * answer) serves client I/O, each byte counts 1 / busyShare times.
   */
  public void acquire(int bytes, boolean sourceBusy) {
    limiter.acquire(permits(bytes, sourceBusy || activity.busy()));
  }

  int permits(int bytes, boolean busy) {
    if (!busy) return bytes;
    return (int) Math.min(Integer.MAX_VALUE, Math.round(bytes / busyShare));
  }
}
