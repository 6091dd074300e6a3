package io.basalt.client.nbd;

/**
 * Request types this server executes. Any other type (CACHE, BLOCK_STATUS, RESIZE, ...) decodes as
 * {@link #UNSUPPORTED} and is answered with EINVAL; only WRITE carries a payload, so the decoder never needs to know
 * more than that.
 */
enum NbdCommand {
  READ(0),
  WRITE(1),
  DISC(2),
  FLUSH(3),
  TRIM(4),
  WRITE_ZEROES(6),
  UNSUPPORTED(-1);

  final int code;

  NbdCommand(int code) {
    this.code = code;
  }

  static NbdCommand of(int type) {
    return switch (type) {
      case 0 -> READ;
      case 1 -> WRITE;
      case 2 -> DISC;
      case 3 -> FLUSH;
      case 4 -> TRIM;
      case 6 -> WRITE_ZEROES;
      default -> UNSUPPORTED;
    };
  }

  /** Whether the request addresses a byte range that must lie inside the export (FLUSH's range is reserved). */
  boolean hasRange() {
    return this == READ || this == WRITE || this == TRIM || this == WRITE_ZEROES;
  }
}
