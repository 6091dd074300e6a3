package io.basalt.rpc;

import com.codahale.metrics.Counter;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.basalt.common.LogLimiter;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Splits the byte stream into {@link Frame}s. A frame that is too large, has another protocol version or a header
 * that does not parse is answered with one error frame (request id 0) and the connection is closed; nothing is
 * guessed and nothing escapes to the process. The data payload is a retained slice of the inbound buffer.
 *
 * <p>The header is parsed in place ({@link CodedInputStream} over the inbound buffer's memory), with no scratch
 * array or stream per frame. With {@link #FrameDecoder(FrameLimits, Counter, boolean) large frames composite},
 * a frame that spans many socket reads (a 1 MiB reply) is gathered as a composite of those reads instead of being
 * copied into one growing buffer, so its payload is never copied on the way in.
 *
 * <p>Each frame is stamped with the moment the socket read that completed it returned ({@link Frame#receivedNanos}):
 * frames decoded from one read after earlier frames' handlers ran keep the time they actually arrived.
 */
public final class FrameDecoder extends ByteToMessageDecoder {
  public static final byte PROTOCOL_VERSION = 1;
  private static final Logger log = LoggerFactory.getLogger(FrameDecoder.class);

  private static final LogLimiter refusalLog = new LogLimiter(2);

  private final FrameLimits limits;
  private final Counter refused;
  private boolean refusing;
  /** When the socket read being decoded returned: the receipt time of the frames it completes. */
  private long readNanos = Frame.NOT_RECEIVED;

  public FrameDecoder(FrameLimits limits) {
    this(limits, new Counter());
  }

  /** {@code refused} counts the frames refused (one per closed connection). */
  public FrameDecoder(FrameLimits limits, Counter refused) {
    this(limits, refused, false);
  }

  /**
   * As {@link #FrameDecoder(FrameLimits, Counter)}; with {@code largeFramesComposite} input is gathered without
   * copying once {@link #COMPOSITE_FROM} bytes are buffered, so a large frame's payload may be a composite buffer
   * (several memory regions: fine to write to a socket, while {@code nioBuffer()} of it would copy).
   */
  public FrameDecoder(FrameLimits limits, Counter refused, boolean largeFramesComposite) {
    this.limits = limits;
    this.refused = refused;
    if (largeFramesComposite) {
      setCumulator(LARGE_FRAMES_COMPOSITE);
    }
  }

  /** Buffered bytes from which {@link #LARGE_FRAMES_COMPOSITE} stops copying input into one buffer. */
  static final int COMPOSITE_FROM = 64 * 1024;
  /** Reads smaller than this are copied onto the end of a composite rather than added as a component of their own. */
  static final int MIN_COMPONENT = 8 * 1024;

  /**
   * Merges small input into one buffer (small frames stay contiguous and cheap to parse) and gathers large input
   * as a composite of the socket reads (no copy, no re-growing of the cumulation for a 1 MiB frame). Small reads
   * onto a composite are copied onto its end, so a stream of tiny reads cannot pile up components.
   */
  static final Cumulator LARGE_FRAMES_COMPOSITE = (alloc, cumulation, in) -> {
    boolean composite = cumulation instanceof CompositeByteBuf;
    if (!composite && cumulation.readableBytes() + in.readableBytes() < COMPOSITE_FROM) {
      return MERGE_CUMULATOR.cumulate(alloc, cumulation, in);
    }
    if (!composite || in.readableBytes() >= MIN_COMPONENT || !cumulation.isReadable()) {
      return COMPOSITE_CUMULATOR.cumulate(alloc, cumulation, in);
    }
    // Appending never moves what frames already sliced off it hold (a composite grows by adding components, and
    // the decoder discards read components only when nobody else holds the buffer).
    try {
      cumulation.writeBytes(in);
      return cumulation;
    } finally {
      in.release();
    }
  };

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    readNanos = System.nanoTime();
    super.channelRead(ctx, msg);
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
      header = parseHeader(in, start + 5, headerLength);
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
    out.add(new Frame(header, data, readNanos));
  }

  /**
   * Parses the header at {@code [index, index + length)} of {@code in} where it lies: one contiguous memory region
   * (the usual case) is read in place; a header split across the components of a composite is copied first.
   */
  static Envelope parseHeader(ByteBuf in, int index, int length) throws IOException {
    CodedInputStream input;
    if (length == 0) {
      return Envelope.getDefaultInstance();
    } else if (in.hasArray()) {
      input = CodedInputStream.newInstance(in.array(), in.arrayOffset() + index, length);
    } else if (in.nioBufferCount() == 1) {
      ByteBuffer nio = in.nioBuffer(index, length);
      input = CodedInputStream.newInstance(nio);
    } else {
      input = CodedInputStream.newInstance(ByteBufUtil.getBytes(in, index, length, false));
    }
    Envelope header = Envelope.parser().parseFrom(input);
    input.checkLastTagWas(0);
    return header;
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
