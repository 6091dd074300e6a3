package io.basalt.client.nbd;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Writes the checked-in seed corpora of {@link NbdHandshakeFuzzTest} and {@link NbdRequestDecoderFuzzTest}: a few
 * valid sessions and requests, and the abuses of TESTPLAN section 5. Off unless asked:
 * {@code mvn -pl access-client -am test -Dtest=NbdFuzzSeeds -Dbasalt.fuzz.writeSeeds=true
 * -Dsurefire.failIfNoSpecifiedTests=false}. Findings fuzzing adds to the same directories are kept.
 */
class NbdFuzzSeeds {
  private static final Path BASE = Path.of("src/test/resources/io/basalt/client/nbd");
  private static final int FLAGS = NbdProtocol.FLAG_C_FIXED_NEWSTYLE | NbdProtocol.FLAG_C_NO_ZEROES;

  /** Bytes a client sends, built fluently. */
  static final class Wire {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Wire(int split) {
      out.write(split);
    }

    Wire raw(byte[] b) {
      out.writeBytes(b);
      return this;
    }

    Wire flags(int flags) {
      return raw(ByteBuffer.allocate(4).putInt(flags).array());
    }

    Wire option(int option, byte[] data) {
      return optionHeader(option, data.length).raw(data);
    }

    Wire optionHeader(int option, long length) {
      return raw(ByteBuffer.allocate(16).putLong(NbdProtocol.OPTION_MAGIC).putInt(option).putInt((int) length)
          .array());
    }

    Wire go(int option, String name, int... infos) {
      byte[] n = name.getBytes(StandardCharsets.UTF_8);
      ByteBuffer b = ByteBuffer.allocate(4 + n.length + 2 + 2 * infos.length).putInt(n.length).put(n)
          .putShort((short) infos.length);
      for (int i : infos) b.putShort((short) i);
      return option(option, b.array());
    }

    Wire request(int flags, int type, long handle, long offset, long length, byte[] payload) {
      raw(ByteBuffer.allocate(28).putInt(NbdProtocol.REQUEST_MAGIC).putShort((short) flags).putShort((short) type)
          .putLong(handle).putLong(offset).putInt((int) length).array());
      return payload == null ? this : raw(payload);
    }

    byte[] bytes() {
      return out.toByteArray();
    }
  }

  static Wire session(int split) {
    return new Wire(split).flags(FLAGS);
  }

  static Map<String, byte[]> handshakeSeeds() {
    Map<String, byte[]> s = new LinkedHashMap<>();
    int read = NbdCommand.READ.code;
    int write = NbdCommand.WRITE.code;
    s.put("valid-go-read-write-trim-zeroes-flush-disc", session(255).go(NbdOption.GO, "vol", NbdOption.INFO_BLOCK_SIZE)
        .request(0, read, 1, 0, 4096, null).request(NbdProtocol.CMD_FLAG_FUA, write, 2, 4096, 512, new byte[512])
        .request(0, NbdCommand.TRIM.code, 3, 8192, 4096, null)
        .request(0, NbdCommand.WRITE_ZEROES.code, 4, 0, 1024, null).request(0, NbdCommand.FLUSH.code, 5, 0, 0, null)
        .request(0, NbdCommand.DISC.code, 6, 0, 0, null).bytes());
    s.put("valid-export-name-then-read-byte-by-byte", new Wire(0).flags(NbdProtocol.FLAG_C_FIXED_NEWSTYLE)
        .option(NbdOption.EXPORT_NAME, "vol".getBytes(StandardCharsets.UTF_8)).request(0, read, 9, 512, 512, null)
        .bytes());
    s.put("valid-info-list-default-export-abort", session(63).go(NbdOption.INFO, "", NbdOption.INFO_NAME,
        NbdOption.INFO_DESCRIPTION).option(NbdOption.LIST, new byte[0]).option(NbdOption.ABORT, new byte[0])
        .bytes());
    s.put("unknown-options-then-go", session(255).option(NbdOption.STARTTLS, new byte[0]).option(999, new byte[7])
        .go(NbdOption.GO, "vol").request(0, read, 1, 0, 512, null).bytes());
    s.put("unknown-export-then-go", session(255).go(NbdOption.GO, "nope").go(NbdOption.GO, "vol").bytes());
    s.put("option-length-2to32-minus-1", session(255).optionHeader(NbdOption.GO, 0xffffffffL).bytes());
    s.put("option-9000-bytes-skipped-then-go", session(255).option(NbdOption.GO, new byte[9000])
        .go(NbdOption.GO, "vol").bytes());
    s.put("export-name-5000-bytes", session(255).option(NbdOption.EXPORT_NAME, new byte[5000]).bytes());
    s.put("go-name-5000-bytes-then-go", session(255).go(NbdOption.GO, "v".repeat(5000)).go(NbdOption.GO, "vol")
        .bytes());
    s.put("go-name-length-beyond-data", session(255).option(NbdOption.GO, new byte[] {0, 0, 0, 9, 'v'}).bytes());
    s.put("bad-option-magic", session(255).raw(new byte[16]).bytes());
    s.put("bad-client-flags", new Wire(255).flags(0x80).bytes());
    s.put("no-fixed-newstyle-go", new Wire(255).flags(0).go(NbdOption.GO, "vol").bytes());
    s.put("go-then-bad-request-magic", session(255).go(NbdOption.GO, "vol").raw(new byte[28]).bytes());
    s.put("go-then-write-over-max", session(255).go(NbdOption.GO, "vol")
        .request(0, write, 1, 0, 64 * 1024 + 512, null).bytes());
    s.put("go-then-write-length-2to32-minus-1", session(255).go(NbdOption.GO, "vol")
        .request(0, write, 1, 0, 0xffffffffL, null).bytes());
    s.put("go-then-read-offset-wraps-2to64", session(255).go(NbdOption.GO, "vol")
        .request(0, read, 1, -512, 1024, null).request(0, read, 2, Long.MAX_VALUE, 512, null).bytes());
    s.put("go-then-read-past-end-and-huge", session(255).go(NbdOption.GO, "vol")
        .request(0, read, 1, 256 * 1024 - 512, 1024, null).request(0, read, 2, 0, 0xfffffe00L, null).bytes());
    s.put("go-then-unknown-command-and-flags", session(255).go(NbdOption.GO, "vol")
        .request(0, 0x1234, 1, 0, 0, null).request(0xffff, read, 2, 0, 512, null)
        .request(NbdProtocol.CMD_FLAG_FAST_ZERO, NbdCommand.WRITE_ZEROES.code, 3, 0, 4096, null).bytes());
    s.put("go-then-unaligned-and-zero-length", session(255).go(NbdOption.GO, "vol")
        .request(0, read, 1, 100, 512, null).request(0, write, 2, 0, 0, null).request(0, read, 3, 0, 0, null)
        .bytes());
    s.put("go-then-write-cut-mid-payload", session(255).go(NbdOption.GO, "vol")
        .request(0, write, 1, 0, 4096, new byte[1000]).bytes());
    return s;
  }

  static Map<String, byte[]> decoderSeeds() {
    Map<String, byte[]> s = new LinkedHashMap<>();
    int read = NbdCommand.READ.code;
    int write = NbdCommand.WRITE.code;
    s.put("valid-read-write-flush", new Wire(255).request(0, read, 1, 0, 4096, null)
        .request(NbdProtocol.CMD_FLAG_FUA, write, 2, 512, 100, new byte[100])
        .request(0, NbdCommand.FLUSH.code, 3, 0, 0, null).bytes());
    s.put("valid-write-in-5-byte-reads", new Wire(4).request(0, write, 7, 0, 300, new byte[300])
        .request(0, NbdCommand.TRIM.code, 8, 0, 1 << 30, null).bytes());
    s.put("bad-magic", new Wire(255).raw(new byte[28]).request(0, read, 1, 0, 512, null).bytes());
    s.put("write-over-max", new Wire(255).request(0, write, 1, 0, 64 * 1024 + 1, null).bytes());
    s.put("write-length-2to32-minus-1", new Wire(255).request(0, write, 1, 0, 0xffffffffL, null).bytes());
    s.put("read-length-2to32-minus-1-offset-2to64-minus-512", new Wire(255).request(0, read, 1, -512, 0xffffffffL,
        null).bytes());
    s.put("unknown-type-then-write", new Wire(255).request(0, 0xbeef, 1, 0, 99, null)
        .request(0, write, 2, 0, 3, new byte[] {1, 2, 3}).bytes());
    s.put("truncated-header", new Wire(255).raw(new byte[] {0x25, 0x60, (byte) 0x95, 0x13, 0, 0}).bytes());
    return s;
  }

  @Test
  @EnabledIfSystemProperty(named = "basalt.fuzz.writeSeeds", matches = "true")
  void write() throws IOException {
    write(BASE.resolve("NbdHandshakeFuzzTestInputs/handshakeAndTransmission"), handshakeSeeds());
    write(BASE.resolve("NbdRequestDecoderFuzzTestInputs/requestDecoder"), decoderSeeds());
  }

  private static void write(Path dir, Map<String, byte[]> seeds) throws IOException {
    Files.createDirectories(dir);
    for (Map.Entry<String, byte[]> e : seeds.entrySet()) {
      Files.write(dir.resolve(e.getKey()), e.getValue());
    }
  }
}
