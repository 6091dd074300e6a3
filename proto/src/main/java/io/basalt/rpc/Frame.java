package io.basalt.rpc;

import io.basalt.proto.Envelope;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * One message on the wire: a protobuf {@link Envelope} header and a data payload (block contents) that rides
 * after it so it can stay in a pooled buffer. Whoever holds a received frame releases it once.
 */
public final class Frame {
  /** {@link #receivedNanos()} of a frame that was not read from a socket (built to be sent). */
  public static final long NOT_RECEIVED = Long.MIN_VALUE;

  private final Envelope header;
  private final ByteBuf data;
  private final long receivedNanos;

  public Frame(Envelope header, ByteBuf data) {
    this(header, data, NOT_RECEIVED);
  }

  /** A frame read from a socket at {@code receivedNanos} ({@link System#nanoTime()}). */
  Frame(Envelope header, ByteBuf data, long receivedNanos) {
    this.header = header;
    this.data = data == null ? Unpooled.EMPTY_BUFFER : data;
    this.receivedNanos = receivedNanos;
  }

  public Envelope header() {
    return header;
  }

  /**
   * When the socket read that completed this frame returned ({@link System#nanoTime()} of this process), or
   * {@link #NOT_RECEIVED}. A request's deadline on this side is {@code receivedNanos + deadline_ms}.
   */
  public long receivedNanos() {
    return receivedNanos;
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
