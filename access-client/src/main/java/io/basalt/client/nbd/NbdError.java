package io.basalt.client.nbd;

import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;

/**
 * Error values of a simple reply. The protocol fixes this small set (errno numbers of Linux), so every Basalt
 * {@link ErrorCode} must land on one of them.
 */
enum NbdError {
  EPERM(1),
  EIO(5),
  ENOMEM(12),
  EINVAL(22),
  ENOSPC(28),
  EOVERFLOW(75),
  ENOTSUP(95),
  ESHUTDOWN(108);

  final int code;

  NbdError(int code) {
    this.code = code;
  }

  /**
   * Maps a volume failure. Only argument and space errors are distinguishable by a block device user; everything
   * else (timeouts, unavailable replicas, internal errors) is an I/O error to the guest.
   */
  static NbdError of(ErrorCode code) {
    return switch (code) {
      case INVALID_ARGUMENT -> EINVAL;
      case NO_SPACE -> ENOSPC;
      default -> EIO;
    };
  }

  static NbdError of(Throwable failure) {
    return of(BasaltException.of(failure).code());
  }
}
