package io.basalt.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Fuzz target (README "Fuzzing"): the frame decoder fed arbitrary bytes (all but the first), split into reads of
 * 1 + the first byte. It must yield frames or refuse with one error frame and close; nothing else may come out (a
 * DecoderException is tolerated, any other exception or error is a finding), nothing may stay unreleased, and no
 * allocation may be larger than twice what arrived (a length prefix must never size a buffer).
 *
 * <p>{@code mvn test} runs it on the seeds in {@code FrameDecoderFuzzTestInputs/frameDecoder} (regression mode);
 * {@code JAZZER_FUZZ=1} fuzzes.
 */
class FrameDecoderFuzzTest {
  private static final FrameLimits LIMITS = new FrameLimits(64 * 1024, 4096);

  @FuzzTest(maxDuration = "10m")
  void frameDecoder(byte[] input) {
    TrackingAllocator alloc = new TrackingAllocator();
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.config().setAllocator(alloc);
    ch.pipeline().addLast(FrameEncoder.INSTANCE, new FrameDecoder(LIMITS));
    int split = input.length == 0 ? 1 : 1 + (input[0] & 0xff);
    List<ByteBuf> fed = new ArrayList<>();
    int frames = 0;
    for (int at = 1; at < input.length && ch.isOpen(); at += split) {
      ByteBuf read = Unpooled.wrappedBuffer(Arrays.copyOfRange(input, at, Math.min(input.length, at + split)));
      fed.add(read);
      try {
        ch.writeInbound(read);
      } catch (DecoderException e) {
        // tolerated: a clean decoder failure closes the connection
        ch.close();
      }
      frames += drainFrames(ch);
    }
    int refusals = 0;
    for (Object out; (out = ch.readOutbound()) != null; refusals++) {
      ((ByteBuf) out).release();
    }
    assertThat(refusals).as("error frames written").isLessThanOrEqualTo(1);
    if (refusals == 1) {
      assertThat(ch.isOpen()).as("a refusal closes the connection").isFalse();
    }
    ch.finishAndReleaseAll();
    frames += drainFrames(ch);
    for (ByteBuf b : fed) {
      assertThat(b.refCnt()).as("input buffer released").isZero();
    }
    assertThat(alloc.largest()).as("largest allocation for %d input bytes", input.length)
        .isLessThanOrEqualTo(2L * input.length + 1024);
    assertThat(frames).isLessThanOrEqualTo(input.length / 9);
  }

  /** Reads and releases decoded frames, checking what the decoder promises of each. */
  private static int drainFrames(EmbeddedChannel ch) {
    int n = 0;
    for (Object in; (in = ch.readInbound()) != null; n++) {
      Frame f = (Frame) in;
      try {
        assertThat(f.header().getSerializedSize()).isLessThanOrEqualTo(LIMITS.maxHeaderBytes());
        assertThat(f.data().readableBytes()).isLessThanOrEqualTo(LIMITS.maxFrameBytes());
      } finally {
        f.release();
      }
    }
    return n;
  }

}
