package io.basalt.rpc;

import io.basalt.proto.ErrorCode;

/** The request carried an epoch below the receiver's; {@link #currentEpoch()} is the receiver's. */
public final class StaleEpochException extends BasaltException {
  private final long currentEpoch;

  public StaleEpochException(long currentEpoch, String message) {
    super(ErrorCode.STALE_EPOCH, message, true);
    this.currentEpoch = currentEpoch;
  }

  public long currentEpoch() {
    return currentEpoch;
  }
}
