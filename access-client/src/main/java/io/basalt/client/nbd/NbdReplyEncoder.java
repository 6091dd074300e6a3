package io.basalt.client.nbd;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/**
 * Frames a {@link NbdReply} as the 16-byte simple reply header followed by the read data as a second buffer, so
 * read data reaches the socket without a copy. Other outbound messages (handshake bytes) pass through.
 */
@Sharable
final class NbdReplyEncoder extends MessageToMessageEncoder<NbdReply> {

  @Override
  protected void encode(ChannelHandlerContext ctx, NbdReply reply, List<Object> out) {
    ByteBuf header = ctx.alloc().buffer(NbdProtocol.SIMPLE_REPLY_HEADER_LENGTH);
    header.writeInt(NbdProtocol.SIMPLE_REPLY_MAGIC).writeInt(reply.error).writeLong(reply.handle);
    out.add(header);
    ByteBuf data = reply.content();
    if (data.isReadable()) {
      out.add(data.retain()); // the encoder releases the reply itself after encode
    }
  }
}
