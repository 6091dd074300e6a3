package io.basalt.rpc;

import io.basalt.proto.Envelope;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * One message on the wire: a protobuf {@link Envelope} header and a data payload (block contents) that rides
 * after it so it can stay in a pooled buffer. Whoever holds a received frame releases it once.
 */
public final class Frame {
  private final Envelope header;
  private final ByteBuf data;

  public Frame(Envelope header, ByteBuf data) {
    this.header = header;
    this.data = data == null ? Unpooled.EMPTY_BUFFER : data;
  }

  public Envelope header() {
    return header;
  }

  /** The payload; never null (empty when the frame has none). */
  public ByteBuf data() {
    return data;
  }

  public void release() {
    if (data.refCnt() > 0) {
      data.release();
    }
  }
}
