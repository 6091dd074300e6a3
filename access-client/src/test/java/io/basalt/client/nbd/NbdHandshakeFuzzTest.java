package io.basalt.client.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.basalt.client.nbd.NbdFuzzHarness.SyncVolume;
import io.basalt.client.nbd.NbdFuzzHarness.FuzzAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fuzz target (README "Fuzzing"): a client's whole byte stream against the server side of one connection, the
 * fixed newstyle handshake and, after NBD_OPT_GO or EXPORT_NAME selects the volume, the transmission phase behind
 * it. The first input byte sets the read size. Every run must end with nothing unreleased, no exception but a
 * protocol violation, no range outside the volume reaching it, and no allocation larger than a request's maximum
 * plus twice the input (an option or request length must never size a buffer).
 */
class NbdHandshakeFuzzTest {
  private static final int MAX_REQUEST = 64 * 1024;
  private static final NbdServerConfig CONFIG = NbdServerConfig.defaults().withMaxRequestSize(MAX_REQUEST)
      .withDefaultExport("vol");
  private static Level logLevel;

  @BeforeAll
  static void quiet() {
    logLevel = NbdFuzzHarness.quietNbdLogs();
  }

  @AfterAll
  static void restore() {
    NbdFuzzHarness.restoreNbdLogs(logLevel);
  }

  @FuzzTest(maxDuration = "10m")
  void handshakeAndTransmission(byte[] input) throws Exception {
    run(input, new FuzzAllocator());
  }

  /** The harness reaches the volume: a valid session's write lands, in whatever read sizes it arrives. */
  @Test
  void aValidSessionReachesTheVolume() throws Exception {
    byte[] pattern = new byte[512];
    Arrays.fill(pattern, (byte) 0xab);
    for (int split : new int[] {0, 6, 255}) {
      byte[] input = NbdFuzzSeeds.session(split).go(NbdOption.GO, "vol")
          .request(0, NbdCommand.WRITE.code, 1, 4096, 512, pattern).bytes();
      SyncVolume volume = run(input, new FuzzAllocator());
      assertThat(volume.bytes(4096, 512)).isEqualTo(pattern);
    }
  }

  private static SyncVolume run(byte[] input, FuzzAllocator alloc) throws Exception {
    SyncVolume volume = new SyncVolume(256 * 1024, alloc);
    NbdVolumeResolver resolver = new NbdVolumeResolver(NbdFuzzHarness.provider(volume), Runnable::run, "vol");
    EmbeddedChannel ch = new EmbeddedChannel(false, true);
    ch.config().setAllocator(alloc);
    ch.pipeline().addLast("nbd-encoder", new NbdReplyEncoder())
        .addLast("nbd-handshake", new NbdHandshakeHandler(resolver, CONFIG, new NbdMetrics(null)));
    ch.register();

    List<ByteBuf> fed = NbdFuzzHarness.feed(ch, input);
    NbdFuzzHarness.finish(ch, fed, alloc);
    assertThat(volume.badRanges).as("ranges that reached the volume").isEmpty();
    assertThat(alloc.largest()).as("largest allocation for %d input bytes", input.length)
        .isLessThanOrEqualTo(MAX_REQUEST + 2L * input.length + 4096);
    return volume;
  }
}
