package io.basalt.rpc;

import io.basalt.proto.ErrorCode;
import java.util.EnumSet;
import java.util.Set;

/**
 * The one rule for whether a failed call may be tried again. The thrower decides: every {@link BasaltException}
 * carries a retryable flag (sent on the wire in error replies), and {@link #byDefault} gives it for throwers that do
 * not say. {@link #isRetryable} reads that flag; every caller that retries asks it.
 *
 * <p>A caller that re-reads where to send before each retry (the block client re-reads the extent from meta) may
 * also retry refusals that are about the server it reached rather than the request: that server's session is gone
 * (NO_SESSION), it is down or failing (UNAVAILABLE, even when a failpoint or a closing server said not to retry
 * there), not ready, behind (STALE_EPOCH), or the call timed out. {@link #isRetryableAfterRefresh} is that rule.
 *
 * <p>Pure functions; any thread.
 */
public final class Retryability {
  /** Codes a caller that re-resolves its target retries whatever the flag says (see the class comment). */
  private static final Set<ErrorCode> RETRY_AFTER_REFRESH = EnumSet.of(ErrorCode.UNAVAILABLE, ErrorCode.NOT_READY,
      ErrorCode.STALE_EPOCH, ErrorCode.TIMEOUT, ErrorCode.DEADLINE_EXCEEDED, ErrorCode.NO_SESSION);

  private Retryability() {}

  /**
   * Whether an error of {@code code} is retryable when its thrower does not say: a redirect (NOT_LEADER, NOT_OWNER,
   * STALE_EPOCH), a server not ready or unreachable, or a deadline that passed (TIMEOUT: in doubt;
   * DEADLINE_EXCEEDED: refused unexecuted).
   */
  public static boolean byDefault(ErrorCode code) {
    return switch (code) {
      case NOT_LEADER, NOT_OWNER, STALE_EPOCH, NOT_READY, UNAVAILABLE, TIMEOUT, DEADLINE_EXCEEDED -> true;
      default -> false;
    };
  }

  /** Whether the failed call may be sent again after a backoff: the flag of the error {@code t} unwraps to. */
  public static boolean isRetryable(Throwable t) {
    return BasaltException.of(t).retryable();
  }

  /** Whether the failed call may be sent again by a caller that re-reads its target first (class comment). */
  public static boolean isRetryableAfterRefresh(Throwable t) {
    BasaltException e = BasaltException.of(t);
    return e.retryable() || RETRY_AFTER_REFRESH.contains(e.code());
  }
}
