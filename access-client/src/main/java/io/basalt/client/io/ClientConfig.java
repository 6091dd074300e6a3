package io.basalt.client.io;

import io.basalt.rpc.RetryPolicy;
import java.time.Duration;

/**
 * Settings of the block client. Immutable; start from {@link #defaults()} and use the {@code withX} copies.
 *
 * @param ioDeadline how long one volume I/O may keep retrying (redirects, unavailable owners, epoch changes) before
 *     it fails with the last error; a write failing this way is in doubt
 * @param callDeadline deadline of each single chunk RPC attempt (capped by what is left of {@code ioDeadline})
 * @param preferredCid chunk to prefer when meta places a new extent (the local chunk), 0 for none
 * @param maxBackoff cap of the exponential backoff between retries; every retry re-reads the extent from meta, so
 *     this is also how soon a retrying I/O notices a lease that moved
 * @param hedgeAfter how long an attempt may go unanswered before the client asks meta whether the extent's lease is
 *     still where the attempt went; if it moved (the owner went silent and its session expired), the attempt is
 *     given up and the I/O goes to the new owner at once, instead of waiting out {@code callDeadline}. Asked again
 *     every {@code hedgeAfter} while the attempt is unanswered.
 */
public record ClientConfig(Duration ioDeadline, Duration callDeadline, int preferredCid, Duration maxBackoff,
    Duration hedgeAfter) {
  public static final Duration DEFAULT_IO_DEADLINE = Duration.ofSeconds(60);
  public static final Duration DEFAULT_CALL_DEADLINE = Duration.ofSeconds(10);
  public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofMillis(100);
  public static final Duration DEFAULT_HEDGE_AFTER = Duration.ofMillis(200);

  public ClientConfig {
    requirePositive("ioDeadline", ioDeadline);
    requirePositive("callDeadline", callDeadline);
    requirePositive("maxBackoff", maxBackoff);
    requirePositive("hedgeAfter", hedgeAfter);
    if (preferredCid < 0) {
      throw new IllegalArgumentException("preferredCid must be >= 0: " + preferredCid);
    }
  }

  public static ClientConfig defaults() {
    return new ClientConfig(DEFAULT_IO_DEADLINE, DEFAULT_CALL_DEADLINE, 0, DEFAULT_MAX_BACKOFF, DEFAULT_HEDGE_AFTER);
  }

  public ClientConfig withIoDeadline(Duration d) {
    return new ClientConfig(d, callDeadline, preferredCid, maxBackoff, hedgeAfter);
  }

  public ClientConfig withCallDeadline(Duration d) {
    return new ClientConfig(ioDeadline, d, preferredCid, maxBackoff, hedgeAfter);
  }

  public ClientConfig withPreferredCid(int cid) {
    return new ClientConfig(ioDeadline, callDeadline, cid, maxBackoff, hedgeAfter);
  }

  public ClientConfig withMaxBackoff(Duration d) {
    return new ClientConfig(ioDeadline, callDeadline, preferredCid, d, hedgeAfter);
  }

  /** The backoff between retries of one I/O: {@link RetryPolicy#CLIENT_IO} capped at {@link #maxBackoff}. */
  public RetryPolicy retryPolicy() {
    return RetryPolicy.CLIENT_IO.withMax(maxBackoff);
  }

  public ClientConfig withHedgeAfter(Duration d) {
    return new ClientConfig(ioDeadline, callDeadline, preferredCid, maxBackoff, d);
  }

  private static void requirePositive(String name, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + d);
    }
  }
}
