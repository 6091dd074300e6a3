package io.basalt.meta.store;

import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;

/**
 * A write failed its {@code check(meta/epoch, version)}: another leader was elected since ours, or this store
 * never claimed leadership. The holder must step down at once; callers see NOT_LEADER.
 */
public final class FencedException extends BasaltException {
  private final long epoch;

  public FencedException(long epoch, String message) {
    super(ErrorCode.NOT_LEADER, message, true);
    this.epoch = epoch;
  }

  /** The epoch this store held when it was fenced (0 when it held none). */
  public long epoch() {
    return epoch;
  }
}
