package io.basalt.rpc.codec;

import io.basalt.rpc.Frame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;

/**
 * Writes {@code int32 frameLength | byte version | int32 headerLength | header | data}. The data buffer is not
 * copied: it joins the small header buffer in a composite that Netty writes with one gathering write.
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
    ByteBuf head = null;
    try {
      byte[] header = frame.header().toByteArray();
      int frameLength = 1 + 4 + header.length + data.readableBytes();
      head = ctx.alloc().directBuffer(4 + 1 + 4 + header.length);
      head.writeInt(frameLength).writeByte(FrameDecoder.PROTOCOL_VERSION).writeInt(header.length).writeBytes(header);
    } catch (Throwable t) {
      frame.release();
      if (head != null) {
        head.release();
      }
      promise.setFailure(t);
      return;
    }
    if (!data.isReadable()) {
      frame.release();
      ctx.write(head, promise);
      return;
    }
    CompositeByteBuf out = ctx.alloc().compositeDirectBuffer(2);
    out.addComponents(true, head, data);
    ctx.write(out, promise);
  }
}
