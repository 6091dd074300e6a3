package io.basalt.client.nbd;

/**
 * Decides, before a request reaches the volume, whether the protocol requires an error reply: unsupported
 * commands and flags, ranges outside the export, lengths over the maximum, misaligned ranges. A rejected request
 * leaves the connection usable (a rejected WRITE's payload has already been consumed by the decoder).
 */
final class NbdRequestCheck {
  record Rejection(NbdError error, String reason) {}

  private NbdRequestCheck() {}

  /** Returns null when the request may be executed. */
  static Rejection check(NbdRequest request, NbdExport export) {
    NbdCommand command = request.command;
    if (command == NbdCommand.UNSUPPORTED) {
      return new Rejection(NbdError.EINVAL, "unsupported command type " + request.type);
    }
    if ((request.flags & NbdProtocol.CMD_FLAG_FAST_ZERO) != 0) {
      return new Rejection(NbdError.EINVAL, "NBD_CMD_FLAG_FAST_ZERO is not advertised");
    }
    if (!command.hasRange()) {
      return null; // FLUSH: offset and length are reserved
    }
    if (command == NbdCommand.READ && request.length > export.maxBlockSize()) {
      return new Rejection(NbdError.EINVAL, "length exceeds the maximum block size of " + export.maxBlockSize());
    }
    long size = export.size();
    // offset is unsigned: a negative long is past any export.
    if (request.offset < 0 || request.offset > size || request.length > size - request.offset) {
      // The protocol asks for ENOSPC when WRITE_ZEROES reaches past the end; everything else is EINVAL.
      NbdError error = command == NbdCommand.WRITE_ZEROES ? NbdError.ENOSPC : NbdError.EINVAL;
      return new Rejection(error, "range is past the end of the export (" + size + " bytes)");
    }
    int min = export.minBlockSize();
    if (((request.offset | request.length) & (min - 1)) != 0) {
      return new Rejection(NbdError.EINVAL, "range is not aligned to the minimum block size of " + min);
    }
    return null;
  }
}
