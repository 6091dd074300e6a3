package io.basalt.rpc.codec;

import com.codahale.metrics.Counter;
import com.google.protobuf.InvalidProtocolBufferException;
import io.basalt.common.LogLimiter;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.rpc.Frame;
import io.basalt.rpc.FrameLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.io.IOException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Splits the byte stream into {@link Frame}s. A frame that is too large, has another protocol version or a header
 * that does not parse is answered with one error frame (request id 0) and the connection is closed; nothing is
 * guessed and nothing escapes to the process. The data payload is a retained slice of the inbound buffer.
 */
public final class FrameDecoder extends ByteToMessageDecoder {
  public static final byte PROTOCOL_VERSION = 1;
  private static final Logger log = LoggerFactory.getLogger(FrameDecoder.class);

  private static final LogLimiter refusalLog = new LogLimiter(2);

  private final FrameLimits limits;
  private final Counter refused;
  private boolean refusing;

  public FrameDecoder(FrameLimits limits) {
    this(limits, new Counter());
  }

  /** {@code refused} counts the frames refused (one per closed connection). */
  public FrameDecoder(FrameLimits limits, Counter refused) {
    this.limits = limits;
    this.refused = refused;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (refusing) {
      in.skipBytes(in.readableBytes());
      return;
    }
    if (in.readableBytes() < 4) {
      return;
    }
    int frameLength = in.getInt(in.readerIndex());
    if (frameLength < 5 || frameLength > limits.maxFrameBytes()) {
      refuse(ctx, in, frameLength > limits.maxFrameBytes() ? ErrorCode.FRAME_TOO_LARGE : ErrorCode.MALFORMED_FRAME,
          "frame length " + frameLength + " outside [5, " + limits.maxFrameBytes() + "]");
      return;
    }
    if (in.readableBytes() < 4 + frameLength) {
      return;
    }
    int start = in.readerIndex() + 4;
    byte version = in.getByte(start);
    int headerLength = in.getInt(start + 1);
    if (version != PROTOCOL_VERSION) {
      refuse(ctx, in, ErrorCode.MALFORMED_FRAME, "protocol version " + version + ", expected " + PROTOCOL_VERSION);
      return;
    }
    if (headerLength < 0 || headerLength > limits.maxHeaderBytes() || headerLength > frameLength - 5) {
      refuse(ctx, in, ErrorCode.MALFORMED_FRAME, "header length " + headerLength + " in frame of " + frameLength);
      return;
    }
    Envelope header;
    try {
      header = Envelope.parseFrom(new ByteBufInputStream(in.slice(start + 5, headerLength)));
    } catch (InvalidProtocolBufferException e) {
      refuse(ctx, in, ErrorCode.MALFORMED_FRAME, "header does not parse: " + e.getMessage());
      return;
    } catch (IOException e) {
      refuse(ctx, in, ErrorCode.MALFORMED_FRAME, "header unreadable: " + e.getMessage());
      return;
    }
    int dataLength = frameLength - 5 - headerLength;
    in.skipBytes(4 + 5 + headerLength);
    ByteBuf data = dataLength == 0 ? null : in.readRetainedSlice(dataLength);
    out.add(new Frame(header, data));
  }

  private void refuse(ChannelHandlerContext ctx, ByteBuf in, ErrorCode code, String why) {
    refusing = true;
    in.skipBytes(in.readableBytes());
    refused.inc();
    long dropped = refusalLog.tryLog();
    if (dropped >= 0) {
      log.warn("refusing frame from {}: {} ({}); closing connection (suppressed={})", ctx.channel().remoteAddress(),
          why, code, dropped);
    }
    Envelope error = Envelope.newBuilder().setResponse(true).setCode(code).setMessage(why).build();
    ctx.writeAndFlush(new Frame(error, null)).addListener(ChannelFutureListener.CLOSE);
  }
}
