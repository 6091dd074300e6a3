package io.basalt.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.Counter;
import com.google.protobuf.InvalidProtocolBufferException;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.GetVolumeRequest;
import io.basalt.proto.WriteKind;
import io.basalt.proto.WriteRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * TESTPLAN section 5, frame codec: the length prefix is judged before anything is buffered or allocated for it,
 * headers that do not parse close the connection with one error frame, and what parses (unknown fields, a missing
 * body, unknown enum values) goes through for the dispatcher to answer.
 */
class FrameDecoderTest {
  private static final FrameLimits LIMITS = new FrameLimits(64 * 1024, 4096);

  private final TrackingAllocator alloc = new TrackingAllocator();
  private final EmbeddedChannel channel = channel();

  private EmbeddedChannel channel() {
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.config().setAllocator(alloc);
    ch.pipeline().addLast(FrameEncoder.INSTANCE, new FrameDecoder(LIMITS));
    return ch;
  }

  @AfterEach
  void finish() {
    channel.finishAndReleaseAll();
  }

  @ParameterizedTest
  @ValueSource(ints = {Integer.MAX_VALUE, 64 * 1024 + 1, 0, -1, Integer.MIN_VALUE, 4})
  void hostileLengthPrefixClosesBeforeAllocating(int prefix) {
    ByteBuf in = Unpooled.buffer(4).writeInt(prefix);
    channel.writeInbound(in);
    channel.runPendingTasks();

    Envelope refusal = readRefusal();
    assertThat(refusal.getCode()).isEqualTo(prefix > LIMITS.maxFrameBytes() ? ErrorCode.FRAME_TOO_LARGE
        : ErrorCode.MALFORMED_FRAME);
    assertThat(refusal.getMessage()).contains("frame length " + prefix);
    assertThat(channel.isOpen()).isFalse();
    assertThat(alloc.largest()).as("largest allocation").isLessThan(1024);
    assertThat(in.refCnt()).isZero();
    assertThat((Object) channel.readInbound()).isNull();
  }

  @Test
  void bytesAfterARefusalAreDiscarded() {
    ByteBuf in = Unpooled.buffer().writeInt(-7).writeBytes(frame(getVolume("x"), null));
    channel.writeInbound(in);
    assertThat((Object) channel.readInbound()).isNull();
    assertThat(readRefusal().getCode()).isEqualTo(ErrorCode.MALFORMED_FRAME);
  }

  @Test
  void framesSplitAtEveryByteDecode() {
    byte[] data = new byte[300];
    data[7] = 7;
    byte[] wire = concat(frame(getVolume("a"), null), frame(Envelope.newBuilder().setWrite(WriteRequest.newBuilder()
        .setPid(1).setLength(300).setKind(WriteKind.WRITE)).build(), data));
    for (byte b : wire) {
      channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
    }
    Frame first = channel.readInbound();
    assertThat(first.header().getGetVolume().getName()).isEqualTo("a");
    first.release();
    Frame second = channel.readInbound();
    assertThat(ByteBufUtil.getBytes(second.data())).isEqualTo(data);
    second.release();
    assertThat(channel.isOpen()).isTrue();
  }

  @Test
  void malformedHeadersAreRefused() {
    // truncated varint: tag of field 1 then a continuation byte with nothing after it
    assertRefused(new byte[] {0x08, (byte) 0x80}, "header does not parse");
    // wire type 7 does not exist
    assertRefused(new byte[] {0x0f}, "header does not parse");
    // a length-delimited field claiming 2 GiB inside a 7-byte header
    assertRefused(new byte[] {0x2a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07, 0x41},
        "header does not parse");
  }

  @Test
  void unknownGroupsNestedBeyondTheRecursionLimitAreRefusedNotAStackOverflow() {
    ByteArrayOutputStream nested = new ByteArrayOutputStream();
    for (int i = 0; i < 3000; i++) nested.write(0x7b); // tag: field 15 (unused), wire type 3 (start group)
    byte[] header = nested.toByteArray();
    EmbeddedChannel ch = new EmbeddedChannel(FrameEncoder.INSTANCE, new FrameDecoder(new FrameLimits(8192, 4096)));
    ch.writeInbound(Unpooled.wrappedBuffer(frameOfHeader(header, null)));
    ByteBuf out = ch.readOutbound();
    try {
      Envelope refusal = parse(out);
      assertThat(refusal.getCode()).isEqualTo(ErrorCode.MALFORMED_FRAME);
    } finally {
      out.release();
    }
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void whatParsesGoesThroughForTheDispatcherToAnswer() {
    // an unknown field (200), and a known field with the wrong wire type (27, get_volume, as a fixed64): both kept
    // as unknown fields by protobuf, so the body stays what the rest says
    byte[] unknownField = concat(getVolume("u").toByteArray(), new byte[] {(byte) 0xc0, 0x0c, 0x05});
    byte[] wrongWireType = concat(new byte[] {(byte) 0xd9, 0x01, 1, 2, 3, 4, 5, 6, 7, 8});
    byte[] noBody = Envelope.newBuilder().setRequestId(5).build().toByteArray();
    byte[] unknownEnum = Envelope.newBuilder().setWrite(WriteRequest.newBuilder().setKindValue(77)).build()
        .toByteArray();
    channel.writeInbound(Unpooled.wrappedBuffer(concat(frameOfHeader(unknownField, null),
        frameOfHeader(noBody, null), frameOfHeader(unknownEnum, null), frameOfHeader(wrongWireType, null))));
    Frame a = channel.readInbound();
    Frame b = channel.readInbound();
    Frame c = channel.readInbound();
    Frame d = channel.readInbound();
    assertThat(a.header().getGetVolume().getName()).isEqualTo("u");
    assertThat(b.header().getBodyCase()).isEqualTo(Envelope.BodyCase.BODY_NOT_SET);
    assertThat(c.header().getWrite().getKind()).isEqualTo(WriteKind.UNRECOGNIZED);
    assertThat(d.header().getBodyCase()).isEqualTo(Envelope.BodyCase.BODY_NOT_SET);
    assertThat(channel.isOpen()).isTrue();
  }

  /**
   * The client's decoder gathers large input as a composite of the reads: a large frame, and the small frames after
   * it whose headers may straddle two reads (two components), decode whatever the read sizes.
   */
  @ParameterizedTest
  @ValueSource(ints = {13, 1000, 4093, 70_000})
  void largeFramesGatheredAsCompositeDecodeAtAnySplit(int readSize) {
    byte[] big = new byte[100_000];
    new Random(readSize).nextBytes(big);
    byte[] small = new byte[10];
    small[3] = 3;
    byte[] wire = concat(frame(getVolume("big"), big), frame(getVolume("s1"), small), frame(getVolume("s2"), null),
        frame(getVolume("big2"), big));
    EmbeddedChannel ch = new EmbeddedChannel(FrameEncoder.INSTANCE,
        new FrameDecoder(new FrameLimits(1 << 20, 4096), new Counter(), true));
    for (int at = 0; at < wire.length; at += readSize) {
      int n = Math.min(readSize, wire.length - at);
      ByteBuf in = ch.alloc().directBuffer(n).writeBytes(wire, at, n);
      ch.writeInbound(in);
    }
    String[] names = {"big", "s1", "s2", "big2"};
    byte[][] datas = {big, small, new byte[0], big};
    for (int i = 0; i < names.length; i++) {
      Frame f = ch.readInbound();
      assertThat(f).as("frame " + i).isNotNull();
      assertThat(f.header().getGetVolume().getName()).isEqualTo(names[i]);
      assertThat(ByteBufUtil.getBytes(f.data())).isEqualTo(datas[i]);
      f.release();
    }
    assertThat(ch.isOpen()).isTrue();
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  /** A header split across the components of a composite buffer parses like a contiguous one. */
  @Test
  void headerAcrossCompositeComponentsParses() throws Exception {
    byte[] header = getVolume("split-header-name").toByteArray();
    for (int cut = 0; cut <= header.length; cut++) {
      CompositeByteBuf c = Unpooled.compositeBuffer();
      c.addComponent(true, Unpooled.directBuffer().writeBytes(header, 0, cut));
      c.addComponent(true, Unpooled.directBuffer().writeBytes(header, cut, header.length - cut));
      try {
        assertThat(FrameDecoder.parseHeader(c, 0, header.length).getGetVolume().getName())
            .isEqualTo("split-header-name");
      } finally {
        c.release();
      }
    }
  }

  /** The encoder writes the prefix and header in one buffer and the data, uncopied, as the next message. */
  @Test
  void encoderWritesHeaderThenTheSameDataBuffer() {
    EmbeddedChannel ch = new EmbeddedChannel(FrameEncoder.INSTANCE);
    byte[] data = new byte[5000];
    data[4999] = 9;
    ByteBuf payload = Unpooled.directBuffer().writeBytes(data);
    Envelope header = getVolume("enc");
    assertThat(ch.writeOutbound(new Frame(header, payload))).isTrue();
    ByteBuf head = ch.readOutbound();
    ByteBuf body = ch.readOutbound();
    try {
      assertThat(ByteBufUtil.getBytes(head))
          .isEqualTo(Arrays.copyOf(frame(header, data), 9 + header.getSerializedSize()));
      assertThat(body).isSameAs(payload);
      assertThat(ByteBufUtil.getBytes(body)).isEqualTo(data);
    } finally {
      head.release();
      body.release();
    }
    assertThat((Object) ch.readOutbound()).isNull();
  }

  private void assertRefused(byte[] header, String why) {
    EmbeddedChannel ch = channel();
    ch.writeInbound(Unpooled.wrappedBuffer(frameOfHeader(header, null)));
    ByteBuf out = ch.readOutbound();
    try {
      Envelope refusal = parse(out);
      assertThat(refusal.getCode()).isEqualTo(ErrorCode.MALFORMED_FRAME);
      assertThat(refusal.getMessage()).contains(why);
    } finally {
      out.release();
    }
    assertThat(ch.isOpen()).isFalse();
    ch.finishAndReleaseAll();
  }

  private Envelope readRefusal() {
    ByteBuf out = channel.readOutbound();
    assertThat(out).as("refusal frame").isNotNull();
    try {
      return parse(out);
    } finally {
      out.release();
    }
  }

  private static Envelope parse(ByteBuf out) {
    try {
      out.skipBytes(5);
      int headerLength = out.readInt();
      return Envelope.parseFrom(ByteBufUtil.getBytes(out, out.readerIndex(), headerLength));
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  private static Envelope getVolume(String name) {
    return Envelope.newBuilder().setRequestId(1).setGetVolume(GetVolumeRequest.newBuilder().setName(name)).build();
  }

  static byte[] frame(Envelope header, byte[] data) {
    return frameOfHeader(header.toByteArray(), data);
  }

  static byte[] frameOfHeader(byte[] header, byte[] data) {
    int dataLength = data == null ? 0 : data.length;
    ByteBuf b = Unpooled.buffer().writeInt(5 + header.length + dataLength).writeByte(FrameDecoder.PROTOCOL_VERSION)
        .writeInt(header.length).writeBytes(header);
    if (data != null) b.writeBytes(data);
    return ByteBufUtil.getBytes(b);
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) out.writeBytes(p);
    return out.toByteArray();
  }
}
