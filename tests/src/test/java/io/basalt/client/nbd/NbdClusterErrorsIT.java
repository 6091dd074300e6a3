package io.basalt.client.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.it.cluster.MiniCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Malformed and out-of-range NBD requests against the NBD server of a real cluster: each gets an error (or, for
 * garbage, a closed connection), and the server and the data stay intact. Lives in the NBD package to reuse the
 * raw protocol client of the NBD unit tests.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class NbdClusterErrorsIT {
  private static final int EINVAL = 22;
  private static final long SIZE = 4L << 20;

  @TempDir
  static Path dir;
  private MiniCluster cluster;

  @BeforeAll
  void start() {
    cluster = MiniCluster.start(dir.resolve("cluster"), 3);
    cluster.createVolume("v", SIZE, 1 << 20, 3);
  }

  @AfterAll
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static byte[] filled(int length, int value) {
    byte[] b = new byte[length];
    Arrays.fill(b, (byte) value);
    return b;
  }

  @Test
  void outOfRangeRequestsGetEinvalAndTheConnectionKeepsServing() throws Exception {
    try (RawNbdClient c = RawNbdClient.open(cluster.nbdPort(), "v")) {
      c.write(1, 8192, filled(4096, 0x42));
      assertThat(c.readReply()).isEqualTo(new RawNbdClient.Reply(0, 1));

      c.read(2, SIZE - 4096, 8192); // crosses the end
      assertThat(c.readReply().error()).isEqualTo(EINVAL);
      c.write(3, SIZE, filled(4096, 0x13)); // starts at the end; payload must still be consumed
      assertThat(c.readReply().error()).isEqualTo(EINVAL);
      c.request(0, NbdCommand.TRIM.code, 4, Long.MAX_VALUE - 100, 4096, null); // offset overflow
      assertThat(c.readReply().error()).isEqualTo(EINVAL);
      c.request(0, 99, 5, 0, 4096, null); // unknown command
      assertThat(c.readReply().error()).isEqualTo(EINVAL);

      c.read(6, 8192, 4096); // the earlier write is intact and the connection still serves
      assertThat(c.readReply()).isEqualTo(new RawNbdClient.Reply(0, 6));
      assertThat(c.readData(4096)).isEqualTo(filled(4096, 0x42));
    }
  }

  @Test
  void unknownExportIsRefusedWithAMessage() throws Exception {
    try (RawNbdClient c = RawNbdClient.connect(cluster.nbdPort())) {
      List<RawNbdClient.OptionReply> replies = c.info(NbdOption.GO, "no-such-volume", NbdOption.INFO_BLOCK_SIZE);
      RawNbdClient.OptionReply last = replies.get(replies.size() - 1);
      assertThat(last.type()).isEqualTo(NbdOption.REP_ERR_UNKNOWN);
      assertThat(new String(last.data(), StandardCharsets.UTF_8)).contains("no-such-volume");
    }
  }

  @Test
  void garbageClosesOnlyThatConnection() throws Exception {
    try (RawNbdClient healthy = RawNbdClient.open(cluster.nbdPort(), "v")) {
      try (RawNbdClient bad = RawNbdClient.open(cluster.nbdPort(), "v")) {
        bad.writeRaw(filled(28, 0x77)); // bad request magic
        assertThat(bad.closedByServer()).isTrue();
      }
      healthy.write(7, 0, filled(512, 0x24));
      assertThat(healthy.readReply()).isEqualTo(new RawNbdClient.Reply(0, 7));
    }
    try (RawNbdClient again = RawNbdClient.open(cluster.nbdPort(), "v")) {
      again.read(8, 0, 512);
      assertThat(again.readReply()).isEqualTo(new RawNbdClient.Reply(0, 8));
      assertThat(again.readData(512)).isEqualTo(filled(512, 0x24));
    }
  }
}
