package io.basalt.rpc;

import io.basalt.proto.ErrorCode;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * The one exception type of Basalt, carrying the wire {@link ErrorCode} end to end. Subclasses exist only
 * where callers branch on extra detail ({@link NotLeaderException}, {@link NotOwnerException},
 * {@link StaleEpochException}).
 */
public class BasaltException extends RuntimeException {
  private final ErrorCode code;
  private final boolean retryable;
  /** The meta epoch an error reply was stamped with (0: none, or not from a meta server); see RpcErrors. */
  private volatile long metaEpoch;

  public BasaltException(ErrorCode code, String message) {
    this(code, message, Retryability.byDefault(code), null);
  }

  public BasaltException(ErrorCode code, String message, boolean retryable) {
    this(code, message, retryable, null);
  }

  public BasaltException(ErrorCode code, String message, boolean retryable, Throwable cause) {
    super(code + ": " + message, cause);
    this.code = code;
    this.retryable = retryable;
  }

  public ErrorCode code() {
    return code;
  }

  public boolean retryable() {
    return retryable;
  }

  /** For an error reply from a meta server: the epoch it answered under (0 when not leading or not stamped). */
  public long metaEpoch() {
    return metaEpoch;
  }

  /** Set once by {@link RpcErrors#fromEnvelope} on the exception it creates. */
  void metaEpoch(long epoch) {
    this.metaEpoch = epoch;
  }

  /** Unwraps CompletionException/ExecutionException chains to a BasaltException (INTERNAL when foreign). */
  public static BasaltException of(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException
        || c instanceof ExecutionException) && c.getCause() != null) {
      c = c.getCause();
    }
    if (c instanceof BasaltException b) {
      return b;
    }
    if (c instanceof TimeoutException) {
      return new BasaltException(ErrorCode.TIMEOUT, "deadline exceeded", true, c);
    }
    return new BasaltException(ErrorCode.INTERNAL, String.valueOf(c), false, c);
  }
}
