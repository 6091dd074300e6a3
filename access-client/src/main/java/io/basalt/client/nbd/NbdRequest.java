package io.basalt.client.nbd;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import io.netty.buffer.Unpooled;

/**
 * One decoded transmission request. A ByteBufHolder so that a WRITE payload (a retained slice of the inbound
 * buffer) is released by Netty's pipeline tail should a request ever go unhandled; other commands hold the empty
 * buffer.
 */
final class NbdRequest extends DefaultByteBufHolder {
  final int flags;
  final int type;
  final NbdCommand command;
  final long handle;
  /** Unsigned on the wire: a negative value means an offset of 2^63 or more. */
  final long offset;
  /** Unsigned 32-bit length widened to long. */
  final long length;

  NbdRequest(int flags, int type, long handle, long offset, long length, ByteBuf payload) {
    super(payload);
    this.flags = flags;
    this.type = type;
    this.command = NbdCommand.of(type);
    this.handle = handle;
    this.offset = offset;
    this.length = length;
  }

  NbdRequest(int flags, int type, long handle, long offset, long length) {
    this(flags, type, handle, offset, length, Unpooled.EMPTY_BUFFER);
  }

  boolean fua() {
    return (flags & NbdProtocol.CMD_FLAG_FUA) != 0;
  }

  /** READ and WRITE bytes that sit in memory while the request is in flight (the in-flight byte budget). */
  long bufferedBytes() {
    return command == NbdCommand.READ || command == NbdCommand.WRITE ? length : 0;
  }

  @Override
  public String toString() {
    return String.format("%s(handle=0x%x, flags=0x%x, offset=%s, length=%d)", command == NbdCommand.UNSUPPORTED
        ? "type " + type : command, handle, flags, Long.toUnsignedString(offset), length);
  }
}
