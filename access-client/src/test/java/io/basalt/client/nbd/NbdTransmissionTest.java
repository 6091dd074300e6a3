package io.basalt.client.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.client.nbd.RawNbdClient.Reply;
import io.basalt.proto.ErrorCode;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Requests with a byte-level client: the happy path, every error reply, and connection-level failures. */
@ExtendWith(NoLeaksExtension.class)
class NbdTransmissionTest {
  private static final int SIZE = 1 << 20;
  private static final int EINVAL = NbdError.EINVAL.code;
  private final MemoryVolume volume = new MemoryVolume("vol", SIZE);
  private final MemoryVolume broken = new MemoryVolume("broken", SIZE);
  private NbdTestServer server;

  @BeforeEach
  void start() {
    server = new NbdTestServer().add(volume).add(broken).start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void writeReadTrimZeroesAndFlush() throws Exception {
    byte[] pattern = random(8192);
    try (RawNbdClient client = RawNbdClient.open(server.port(), "vol")) {
      client.write(1, 4096, pattern);
      assertThat(client.readReply()).isEqualTo(new Reply(0, 1));
      client.request(NbdProtocol.CMD_FLAG_FUA, NbdCommand.WRITE.code, 2, 16384, 512, new byte[512]);
      assertThat(client.readReply()).isEqualTo(new Reply(0, 2));
      client.read(3, 4096, 8192);
      assertThat(client.readReply()).isEqualTo(new Reply(0, 3));
      assertThat(client.readData(8192)).isEqualTo(pattern);

      client.request(0, NbdCommand.TRIM.code, 4, 4096, 4096, null);
      assertThat(client.readReply()).isEqualTo(new Reply(0, 4));
      client.request(NbdProtocol.CMD_FLAG_NO_HOLE | NbdProtocol.CMD_FLAG_FUA, NbdCommand.WRITE_ZEROES.code, 5, 8192,
          4096, null);
      assertThat(client.readReply()).isEqualTo(new Reply(0, 5));
      client.request(0, NbdCommand.FLUSH.code, 6, 0, 0, null);
      assertThat(client.readReply()).isEqualTo(new Reply(0, 6));
    }
    assertThat(volume.snapshot(4096, 8192)).containsOnly(0);
    assertThat(volume.fuaWrites.get()).isEqualTo(1);
    assertThat(volume.trims.get()).isEqualTo(1);
    assertThat(volume.zeroWrites.get()).isEqualTo(1);
    assertThat(volume.flushes.get()).isEqualTo(1);
    assertThat(server.metrics.timer("basalt_nbd_write").getCount()).isEqualTo(2);
    assertThat(server.metrics.timer("basalt_nbd_read").getCount()).isEqualTo(1);
    assertThat(server.metrics.timer("basalt_nbd_flush").getCount()).isEqualTo(1);
  }

  @Test
  void readPastEndIsEinvalAndTheConnectionStaysUsable() throws Exception {
    try (RawNbdClient client = RawNbdClient.open(server.port(), "vol")) {
      client.read(1, SIZE - 512, 1024);
      assertThat(client.readReply()).isEqualTo(new Reply(EINVAL, 1));
      client.read(2, -512, 512); // 2^64 - 512: offset + length overflows
      assertThat(client.readReply()).isEqualTo(new Reply(EINVAL, 2));
      client.read(3, SIZE + 4096, 0);
      assertThat(client.readReply()).isEqualTo(new Reply(EINVAL, 3));

      client.read(4, SIZE - 512, 512);
      assertThat(client.readReply()).isEqualTo(new Reply(0, 4));
      assertThat(client.readData(512)).hasSize(512);
    }
    assertThat(server.metrics.counter(NbdMetrics.ERRORS).getCount()).isEqualTo(3);
  }

  @Test
  void writePastEndIsEinvalAfterConsumingThePayload() throws Exception {
    byte[] pattern = random(4096);
    try (RawNbdClient client = RawNbdClient.open(server.port(), "vol")) {
      client.write(1, SIZE - 2048, random(4096));
      assertThat(client.readReply()).isEqualTo(new Reply(EINVAL, 1));
      client.write(2, 0, pattern);
      assertThat(client.readReply()).isEqualTo(new Reply(0, 2));
      client.read(3, 0, 4096);
      assertThat(client.readReply()).isEqualTo(new Reply(0, 3));
      assertThat(client.readData(4096)).isEqualTo(pattern);
    }
    assertThat(volume.snapshot(SIZE - 2048, 2048)).containsOnly(0);
  }

  @Test
  void writeZeroesPastEndIsEnospcAndMisalignedOrOversizedRequestsAreEinval() throws Exception {
    try (RawNbdClient client = RawNbdClient.open(server.port(), "vol")) {
      client.request(0, NbdCommand.WRITE_ZEROES.code, 1, SIZE, 4096, null);
      assertThat(client.readReply()).isEqualTo(new Reply(NbdError.ENOSPC.code, 1));
      client.read(2, 100, 512);
      assertThat(client.readReply()).isEqualTo(new Reply(EINVAL, 2));
      client.read(3, 0, (32 << 20) + 512);
      assertThat(client.readReply()).isEqualTo(new Reply(EINVAL, 3));
      client.request(NbdProtocol.CMD_FLAG_FAST_ZERO, NbdCommand.WRITE_ZEROES.code, 4, 0, 4096, null);
      assertThat(client.readReply()).isEqualTo(new Reply(EINVAL, 4));
    }
  }

  @Test
  void unknownCommandsAreEinval() throws Exception {
    try (RawNbdClient client = RawNbdClient.open(server.port(), "vol")) {
      client.request(0, 5, 1, 0, 4096, null); // NBD_CMD_CACHE, not advertised
      assertThat(client.readReply()).isEqualTo(new Reply(EINVAL, 1));
      client.request(0, 0x1234, 2, 0, 0, null);
      assertThat(client.readReply()).isEqualTo(new Reply(EINVAL, 2));
      client.read(3, 0, 512);
      assertThat(client.readReply()).isEqualTo(new Reply(0, 3));
    }
  }

  @Test
  void zeroLengthRequestsSucceedWithoutData() throws Exception {
    try (RawNbdClient client = RawNbdClient.open(server.port(), "vol")) {
      client.read(1, 4096, 0);
      client.write(2, 4096, new byte[0]);
      client.request(0, NbdCommand.TRIM.code, 3, 4096, 0, null);
      client.read(4, 0, 512);
      assertThat(client.readReply()).isEqualTo(new Reply(0, 1));
      assertThat(client.readReply()).isEqualTo(new Reply(0, 2));
      assertThat(client.readReply()).isEqualTo(new Reply(0, 3));
      assertThat(client.readReply()).isEqualTo(new Reply(0, 4));
      assertThat(client.readData(512)).hasSize(512);
    }
  }

  @Test
  void badMagicClosesThatConnectionOnly() throws Exception {
    try (RawNbdClient healthy = RawNbdClient.open(server.port(), "vol");
        RawNbdClient client = RawNbdClient.open(server.port(), "vol")) {
      client.writeRaw(new byte[28]);
      assertThat(client.closedByServer()).isTrue();

      healthy.read(1, 0, 512);
      assertThat(healthy.readReply()).isEqualTo(new Reply(0, 1));
      healthy.readData(512);
    }
    try (RawNbdClient again = RawNbdClient.open(server.port(), "vol")) {
      again.read(1, 0, 512);
      assertThat(again.readReply()).isEqualTo(new Reply(0, 1));
    }
  }

  @Test
  void writeLargerThanMaxRequestSizeClosesTheConnection() throws Exception {
    try (RawNbdClient client = RawNbdClient.open(server.port(), "vol")) {
      client.request(0, NbdCommand.WRITE.code, 1, 0, (32 << 20) + 512, null);
      assertThat(client.closedByServer()).isTrue();
    }
  }

  @Test
  void volumeFailuresMapToNbdErrors() throws Exception {
    try (RawNbdClient client = RawNbdClient.open(server.port(), "broken")) {
      broken.failWith(ErrorCode.IO_ERROR);
      client.read(1, 0, 4096);
      assertThat(client.readReply()).isEqualTo(new Reply(NbdError.EIO.code, 1));
      client.write(2, 0, random(4096));
      assertThat(client.readReply()).isEqualTo(new Reply(NbdError.EIO.code, 2));
      broken.failWith(ErrorCode.TIMEOUT);
      client.request(0, NbdCommand.FLUSH.code, 3, 0, 0, null);
      assertThat(client.readReply()).isEqualTo(new Reply(NbdError.EIO.code, 3));
      broken.failWith(ErrorCode.NO_SPACE);
      client.write(4, 0, random(4096));
      assertThat(client.readReply()).isEqualTo(new Reply(NbdError.ENOSPC.code, 4));
      broken.failWith(ErrorCode.INVALID_ARGUMENT);
      client.request(0, NbdCommand.TRIM.code, 5, 0, 4096, null);
      assertThat(client.readReply()).isEqualTo(new Reply(EINVAL, 5));

      broken.failWith(null);
      client.read(6, 0, 512);
      assertThat(client.readReply()).isEqualTo(new Reply(0, 6));
    }
  }

  @Test
  void writesFlushedOnOneConnectionAreVisibleOnAnother() throws Exception {
    byte[] pattern = random(65536);
    try (RawNbdClient writer = RawNbdClient.open(server.port(), "vol");
        RawNbdClient reader = RawNbdClient.open(server.port(), "vol")) {
      writer.write(1, 131072, pattern);
      assertThat(writer.readReply()).isEqualTo(new Reply(0, 1));
      writer.request(0, NbdCommand.FLUSH.code, 2, 0, 0, null);
      assertThat(writer.readReply()).isEqualTo(new Reply(0, 2));

      reader.read(1, 131072, pattern.length);
      assertThat(reader.readReply()).isEqualTo(new Reply(0, 1));
      assertThat(reader.readData(pattern.length)).isEqualTo(pattern);
    }
  }

  @Test
  void discClosesTheConnection() throws Exception {
    try (RawNbdClient client = RawNbdClient.open(server.port(), "vol")) {
      client.request(0, NbdCommand.DISC.code, 1, 0, 0, null);
      assertThat(client.closedByServer()).isTrue();
    }
  }

  static byte[] random(int length) {
    byte[] bytes = new byte[length];
    new Random(length).nextBytes(bytes);
    bytes[0] = 1; // never all zeros
    return bytes;
  }

  static boolean allZero(byte[] bytes) {
    return Arrays.equals(bytes, new byte[bytes.length]);
  }
}
