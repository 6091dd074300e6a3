package io.basalt.client.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Framing of requests however the bytes are split across reads. */
@ExtendWith(NoLeaksExtension.class)
class NbdRequestDecoderTest {
  private final EmbeddedChannel channel = new EmbeddedChannel(new NbdRequestDecoder(64 * 1024));

  @Test
  void framesRequestsFedOneByteAtATime() {
    byte[] payload = NbdTransmissionTest.random(1000);
    ByteBuf wire = Unpooled.buffer();
    header(wire, NbdProtocol.CMD_FLAG_FUA, NbdCommand.WRITE.code, 0x1122334455667788L, 4096, payload.length);
    wire.writeBytes(payload);
    header(wire, 0, NbdCommand.READ.code, 2, -512, 0xfffffe00L);
    header(wire, 0, 0x99, 3, 0, 7);

    while (wire.isReadable()) {
      channel.writeInbound(wire.readRetainedSlice(1));
    }
    wire.release();

    NbdRequest write = channel.readInbound();
    assertThat(write.command).isEqualTo(NbdCommand.WRITE);
    assertThat(write.fua()).isTrue();
    assertThat(write.handle).isEqualTo(0x1122334455667788L);
    assertThat(write.offset).isEqualTo(4096);
    assertThat(ByteBufUtil.getBytes(write.content())).isEqualTo(payload);
    write.release();
    NbdRequest read = channel.readInbound();
    assertThat(read.command).isEqualTo(NbdCommand.READ);
    assertThat(read.offset).isEqualTo(-512); // unsigned 2^64 - 512
    assertThat(read.length).isEqualTo(0xfffffe00L);
    NbdRequest unknown = channel.readInbound();
    assertThat(unknown.command).isEqualTo(NbdCommand.UNSUPPORTED);
    assertThat(unknown.type).isEqualTo(0x99);
    assertThat((Object) channel.readInbound()).isNull();
    assertThat(channel.finish()).isFalse();
  }

  @Test
  void badMagicFailsAndLaterBytesAreIgnored() {
    ByteBuf wire = Unpooled.buffer().writeZero(28);
    assertThatThrownBy(() -> channel.writeInbound(wire)).isInstanceOf(DecoderException.class)
        .hasCauseInstanceOf(NbdProtocolException.class).hasMessageContaining("bad request magic");
    ByteBuf valid = Unpooled.buffer();
    header(valid, 0, NbdCommand.READ.code, 1, 0, 512);
    channel.writeInbound(valid);
    assertThat((Object) channel.readInbound()).isNull();
    channel.finishAndReleaseAll();
  }

  @Test
  void writeOverTheLimitFailsBeforeItsPayloadArrives() {
    ByteBuf wire = Unpooled.buffer();
    header(wire, 0, NbdCommand.WRITE.code, 1, 0, 64 * 1024 + 512);
    assertThatThrownBy(() -> channel.writeInbound(wire)).hasCauseInstanceOf(NbdProtocolException.class)
        .hasMessageContaining("exceeds the max request size");
    channel.finishAndReleaseAll();
  }

  private static void header(ByteBuf buf, int flags, int type, long handle, long offset, long length) {
    buf.writeInt(NbdProtocol.REQUEST_MAGIC).writeShort(flags).writeShort(type).writeLong(handle).writeLong(offset)
        .writeInt((int) length);
  }
}
