package io.basalt.rpc;

import io.basalt.proto.Envelope;
import io.basalt.proto.GetVolumeRequest;
import io.basalt.proto.WriteKind;
import io.basalt.proto.WriteRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Writes the checked-in seed corpus of {@link FrameDecoderFuzzTest} (a few valid frames, a few nasty ones). Off
 * unless asked: {@code mvn -pl proto test -Dtest=FrameDecoderFuzzSeeds -Dbasalt.fuzz.writeSeeds=true}. Findings
 * that fuzzing adds to the same directory are kept: this only (re)writes its own named files.
 */
class FrameDecoderFuzzSeeds {
  static final Path DIR = Path.of("src/test/resources/io/basalt/rpc/FrameDecoderFuzzTestInputs/frameDecoder");

  /** First byte: reads of (1 + it) bytes; the rest: the byte stream. */
  static Map<String, byte[]> seeds() {
    Map<String, byte[]> s = new LinkedHashMap<>();
    byte[] getVolume = FrameDecoderTest.frame(Envelope.newBuilder().setRequestId(1).setGetVolume(
        GetVolumeRequest.newBuilder().setName("vol")).build(), null);
    byte[] write = FrameDecoderTest.frame(Envelope.newBuilder().setRequestId(2).setWrite(WriteRequest.newBuilder()
        .setPid(7).setEpoch(1).setOffset(4096).setLength(100).setKind(WriteKind.WRITE)).build(), new byte[100]);
    s.put("valid-get-volume", seed(255, getVolume));
    s.put("valid-write-with-data", seed(255, write));
    s.put("valid-two-frames-byte-by-byte", seed(0, getVolume, write));
    s.put("valid-two-frames-in-7-byte-reads", seed(6, write, getVolume));
    s.put("valid-no-body-unknown-fields", seed(255, FrameDecoderTest.frameOfHeader(
        new byte[] {0x08, 3, (byte) 0xc2, 0x0f, 0x02, 0x08, 0x01}, null)));
    s.put("prefix-int-max", seed(255, ByteBuffer.allocate(4).putInt(Integer.MAX_VALUE).array()));
    s.put("prefix-negative", seed(255, ByteBuffer.allocate(4).putInt(-1).array()));
    s.put("prefix-zero", seed(255, new byte[4]));
    s.put("prefix-over-limit", seed(255, ByteBuffer.allocate(4).putInt(64 * 1024 + 1).array()));
    s.put("bad-version", seed(255, ByteBuffer.allocate(9).putInt(5).put((byte) 9).putInt(0).array()));
    s.put("header-length-negative", seed(255, ByteBuffer.allocate(12).putInt(8).put((byte) 1).putInt(-3)
        .array()));
    s.put("header-length-beyond-frame", seed(255, ByteBuffer.allocate(12).putInt(8).put((byte) 1).putInt(1000)
        .array()));
    s.put("header-truncated-varint", seed(255, FrameDecoderTest.frameOfHeader(new byte[] {0x08, (byte) 0x80},
        null)));
    s.put("header-string-claims-2GiB", seed(255, FrameDecoderTest.frameOfHeader(
        new byte[] {0x2a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07, 0x41}, null)));
    byte[] deep = new byte[3000];
    Arrays.fill(deep, (byte) 0x7b); // start group, field 15, nested 3000 deep
    s.put("header-groups-nested-3000-deep", seed(255, FrameDecoderTest.frameOfHeader(deep, null)));
    s.put("valid-then-garbage", seed(31, getVolume, new byte[] {0, 0, 0, 9, 1, 0, 0, 0, 4, 1, 2, 3, 4}));
    return s;
  }

  private static byte[] seed(int split, byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(split);
    for (byte[] p : parts) out.writeBytes(p);
    return out.toByteArray();
  }

  @Test
  @EnabledIfSystemProperty(named = "basalt.fuzz.writeSeeds", matches = "true")
  void write() throws IOException {
    Files.createDirectories(DIR);
    for (Map.Entry<String, byte[]> e : seeds().entrySet()) {
      Files.write(DIR.resolve(e.getKey()), e.getValue());
    }
  }
}
