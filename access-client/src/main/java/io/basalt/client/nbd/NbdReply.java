package io.basalt.client.nbd;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import io.netty.buffer.Unpooled;

/**
 * A simple reply: handle, error and, for a successful READ, the data buffer exactly as the volume returned it. A
 * ByteBufHolder so that Netty releases the data when the write fails (for instance after the client went away).
 */
final class NbdReply extends DefaultByteBufHolder {
  final long handle;
  final int error;

  private NbdReply(long handle, int error, ByteBuf data) {
    super(data);
    this.handle = handle;
    this.error = error;
  }

  static NbdReply ok(long handle) {
    return new NbdReply(handle, 0, Unpooled.EMPTY_BUFFER);
  }

  /** Takes ownership of {@code data}. */
  static NbdReply data(long handle, ByteBuf data) {
    return new NbdReply(handle, 0, data);
  }

  static NbdReply error(long handle, NbdError error) {
    return new NbdReply(handle, error.code, Unpooled.EMPTY_BUFFER);
  }
}
