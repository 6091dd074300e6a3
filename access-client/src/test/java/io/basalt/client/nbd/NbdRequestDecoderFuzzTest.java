package io.basalt.client.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.basalt.client.nbd.NbdFuzzHarness.FuzzAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;

/**
 * Fuzz target (README "Fuzzing"): the transmission request decoder on arbitrary bytes (first byte: read size). It
 * must yield requests whose WRITE payload is exactly the declared length and at most the maximum, and others none;
 * or fail with a protocol violation after which nothing more is decoded. Nothing unreleased, no allocation sized by
 * a declared length.
 */
class NbdRequestDecoderFuzzTest {
  private static final int MAX_WRITE = 64 * 1024;

  @FuzzTest(maxDuration = "10m")
  void requestDecoder(byte[] input) {
    FuzzAllocator alloc = new FuzzAllocator();
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.config().setAllocator(alloc);
    NbdRequestDecoder decoder = new NbdRequestDecoder(MAX_WRITE);
    ch.pipeline().addLast(decoder);
    List<ByteBuf> fed = NbdFuzzHarness.feed(ch, input);
    int requests = 0;
    for (Object in; (in = ch.readInbound()) != null; requests++) {
      NbdRequest r = (NbdRequest) in;
      try {
        if (r.command == NbdCommand.WRITE) {
          assertThat(r.length).isLessThanOrEqualTo(MAX_WRITE);
          assertThat((long) r.content().readableBytes()).isEqualTo(r.length);
        } else {
          assertThat(r.content().readableBytes()).isZero();
        }
        assertThat(r.length).isBetween(0L, 0xffffffffL);
      } finally {
        r.release();
      }
    }
    assertThat(requests).isLessThanOrEqualTo(input.length / NbdProtocol.REQUEST_HEADER_LENGTH);
    NbdFuzzHarness.finish(ch, fed, alloc);
    assertThat(alloc.largest()).as("largest allocation for %d input bytes", input.length)
        .isLessThanOrEqualTo(2L * input.length + 1024);
  }
}
