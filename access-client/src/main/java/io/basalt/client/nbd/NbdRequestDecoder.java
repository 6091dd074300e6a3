package io.basalt.client.nbd;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Frames transmission requests: a 28-byte header and, for WRITE, the payload as a retained slice of the inbound
 * buffer. The composite cumulator lets a payload that spans many socket reads become that slice without being
 * copied into one contiguous buffer first.
 *
 * <p>Bad magic and a WRITE longer than the maximum request size are not answerable (the stream cannot be resynced,
 * and the payload would have to be buffered), so both raise {@link NbdProtocolException} and the rest of the input
 * is discarded until the connection closes.
 */
final class NbdRequestDecoder extends ByteToMessageDecoder {
  private final int maxWriteSize;
  private boolean failed;

  NbdRequestDecoder(int maxWriteSize) {
    this.maxWriteSize = maxWriteSize;
    setCumulator(COMPOSITE_CUMULATOR);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (failed) {
      in.skipBytes(in.readableBytes());
      return;
    }
    if (in.readableBytes() < NbdProtocol.REQUEST_HEADER_LENGTH) {
      return;
    }
    int at = in.readerIndex();
    int magic = in.getInt(at);
    if (magic != NbdProtocol.REQUEST_MAGIC) {
      fail(in, String.format("bad request magic 0x%08x", magic));
    }
    int flags = in.getUnsignedShort(at + 4);
    int type = in.getUnsignedShort(at + 6);
    long handle = in.getLong(at + 8);
    long offset = in.getLong(at + 16);
    long length = in.getUnsignedInt(at + 24);
    if (NbdCommand.of(type) != NbdCommand.WRITE) {
      in.skipBytes(NbdProtocol.REQUEST_HEADER_LENGTH);
      out.add(new NbdRequest(flags, type, handle, offset, length));
      return;
    }
    if (length > maxWriteSize) {
      fail(in, String.format("WRITE of %d bytes (handle 0x%x, offset %s) exceeds the max request size of %d bytes",
          length, handle, Long.toUnsignedString(offset), maxWriteSize));
    }
    if (in.readableBytes() < NbdProtocol.REQUEST_HEADER_LENGTH + length) {
      return;
    }
    in.skipBytes(NbdProtocol.REQUEST_HEADER_LENGTH);
    out.add(new NbdRequest(flags, type, handle, offset, length, in.readRetainedSlice((int) length)));
  }

  private void fail(ByteBuf in, String message) {
    failed = true;
    in.skipBytes(in.readableBytes());
    throw new NbdProtocolException(message);
  }
}
