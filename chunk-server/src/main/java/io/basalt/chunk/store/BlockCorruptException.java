package io.basalt.chunk.store;

import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;

/**
 * A stored block that fails its check on read: its data does not match its CRC, or its record does not decode
 * (IO_ERROR, as every storage error). Its own type so the owner's read path can tell it from other storage errors and
 * repair the block from another replica (DESIGN.md "Chunk storage": a mismatch is reported and repaired).
 */
public final class BlockCorruptException extends BasaltException {
  private final long pid;
  private final long block;

  BlockCorruptException(long pid, long block, String message) {
    super(ErrorCode.IO_ERROR, message);
    this.pid = pid;
    this.block = block;
  }

  public long pid() {
    return pid;
  }

  /** The block index (offset / 4096) that failed. */
  public long block() {
    return block;
  }
}
