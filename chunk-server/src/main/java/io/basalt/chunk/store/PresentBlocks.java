package io.basalt.chunk.store;

import io.netty.buffer.ByteBuf;

/**
 * The stored blocks of a range (recovery copy): their indexes, ascending, and their data, 4 KiB each, back to back
 * in the same order. Absent blocks read as zeros and are left out. {@code data} is a pooled buffer owned by the
 * holder, who releases it (or hands it on as a reply payload).
 */
public record PresentBlocks(long[] blocks, ByteBuf data) {
  public int count() {
    return blocks.length;
  }
}
