package io.basalt.rpc;

import com.google.protobuf.CodedOutputStream;
import io.basalt.proto.Envelope;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;

/**
 * Writes {@code int32 frameLength | byte version | int32 headerLength | header | data}. The header is serialized
 * straight into a pooled buffer with its prefix; the data buffer is not copied: it follows as a second outbound
 * message, and Netty writes both (and whatever else is flushed with them) with one gathering write.
 */
@ChannelHandler.Sharable
public final class FrameEncoder extends ChannelOutboundHandlerAdapter {
  public static final FrameEncoder INSTANCE = new FrameEncoder();

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (!(msg instanceof Frame frame)) {
      ctx.write(msg, promise);
      return;
    }
    ByteBuf data = frame.data();
    ByteBuf head;
    try {
      head = encodeHead(ctx, frame.header(), data.readableBytes());
    } catch (Throwable t) {
      frame.release();
      promise.setFailure(t);
      return;
    }
    if (!data.isReadable()) {
      frame.release();
      ctx.write(head, promise);
      return;
    }
    // Two messages, one frame: nothing can come between them (this runs on the channel's loop), and a failure to
    // write the first fails the connection, hence the second too.
    ctx.write(head, ctx.newPromise());
    ctx.write(data, promise);
  }

  private static ByteBuf encodeHead(ChannelHandlerContext ctx, Envelope header, int dataLength) throws Exception {
    int headerLength = header.getSerializedSize();
    ByteBuf head = ctx.alloc().directBuffer(4 + 1 + 4 + headerLength);
    try {
      head.writeInt(1 + 4 + headerLength + dataLength).writeByte(FrameDecoder.PROTOCOL_VERSION).writeInt(headerLength);
      int at = head.writerIndex();
      CodedOutputStream out = CodedOutputStream.newInstance(head.internalNioBuffer(at, headerLength));
      header.writeTo(out);
      out.flush();
      out.checkNoSpaceLeft();
      head.writerIndex(at + headerLength);
      return head;
    } catch (Throwable t) {
      head.release();
      throw t;
    }
  }
}
