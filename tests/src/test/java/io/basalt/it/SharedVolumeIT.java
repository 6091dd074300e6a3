package io.basalt.it;

import static io.basalt.it.cluster.ExternalTools.assumeInstalled;
import static io.basalt.it.cluster.ExternalTools.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.it.cluster.ExternalTools;
import io.basalt.it.cluster.ProcessCluster;
import io.basalt.it.cluster.QemuIoSession;
import io.basalt.proto.Envelope;
import io.basalt.proto.ResizeVolumeRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two NBD server processes serving the same volumes (a VM moving from one node to another, DESIGN.md "Block client
 * and NBD": the extent map is a cache, never the truth): what one server allocates, writes, trims or zeroes, the
 * other sees, on a connection it had open before and on a new one; and a resize made by another client reaches a
 * server that already had the volume open. Real processes and real NBD clients (qemu-io, nbdinfo).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class SharedVolumeIT {
  private static final long MiB = 1 << 20;
  private static final Duration TOOL_TIMEOUT = Duration.ofMinutes(1);

  @TempDir
  static Path dir;
  private ProcessCluster cluster;

  @BeforeAll
  void start() {
    assumeInstalled("qemu-io");
    cluster = ProcessCluster.builder(dir).chunks(3).nbdServers(2).start();
  }

  @AfterAll
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** One qemu-io process (a new connection) on NBD server {@code server}; every command must succeed. */
  private ExternalTools.Result qemuIo(int server, String volume, String... commands) {
    List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "raw", cluster.nbdUri(server, volume)));
    for (String c : commands) {
      cmd.add("-c");
      cmd.add(c);
    }
    ExternalTools.Result r = run(TOOL_TIMEOUT, cmd).assertOk();
    assertThat(r.output()).as("qemu-io on server %d: %s", server, List.of(commands))
        .doesNotContain("Pattern verification failed", "failed:");
    return r;
  }

  private QemuIoSession session(int server, String volume) {
    return QemuIoSession.open(cluster.nbdUri(server, volume), TOOL_TIMEOUT);
  }

  @Test
  void dataWrittenThroughOneServerReadsBackThroughTheOther() {
    cluster.createVolume("moved", 8 * MiB, MiB, 3);
    try (QemuIoSession before = session(0, "moved")) {
      before.runOk("read -P 0 0 1M");  // server 0 has the volume open, nothing allocated yet

      qemuIo(1, "moved", "write -P 0xab 0 1M", "flush");

      assertThat(before.run("read -P 0xab 0 1M")).as("server 0, connection opened before the write")
          .doesNotContain("Pattern verification failed").contains("read 1048576/1048576 bytes at offset 0");
      qemuIo(0, "moved", "read -P 0xab 0 1M");
    }
  }

  @Test
  void trimThroughOneServerOfDataWrittenThroughTheOtherIsApplied() {
    cluster.createVolume("trimmed", 8 * MiB, MiB, 3);
    try (QemuIoSession before = session(0, "trimmed")) {
      before.runOk("read -P 0 2M 64k");
      qemuIo(1, "trimmed", "write -P 0xcd 2M 1M", "flush");

      before.runOk("discard 2M 512k");
      before.runOk("flush");

      qemuIo(1, "trimmed", "read -P 0 2M 512k", "read -P 0xcd 2560k 512k");
      before.runOk("read -P 0 2M 512k");
    }
  }

  @Test
  void writeZeroesThroughOneServerOfDataWrittenThroughTheOtherIsApplied() {
    cluster.createVolume("zeroed", 8 * MiB, MiB, 3);
    try (QemuIoSession before = session(0, "zeroed")) {
      before.runOk("read -P 0 3M 64k");
      qemuIo(1, "zeroed", "write -P 0xef 3M 1M", "flush");

      before.runOk("write -z 3M 256k");
      before.runOk("flush");

      qemuIo(1, "zeroed", "read -P 0 3M 256k", "read -P 0xef 3328k 768k");
    }
  }

  @Test
  void resizeByAnotherClientReachesServersThatHadTheVolumeOpen() {
    assumeInstalled("nbdinfo");
    cluster.createVolume("grown", 4 * MiB, MiB, 3);
    try (QemuIoSession on0 = session(0, "grown"); QemuIoSession on1 = session(1, "grown")) {
      on0.runOk("read -P 0 0 64k");
      on1.runOk("read -P 0 0 64k");
      assertThat(size(0, "grown")).isEqualTo(4 * MiB);

      cluster.metaClient().callSync(Envelope.newBuilder().setResizeVolume(ResizeVolumeRequest.newBuilder()
          .setName("grown").setSizeBytes(12 * MiB)));

      assertThat(size(0, "grown")).as("a new connection to a server that had the volume open").isEqualTo(12 * MiB);
      qemuIo(0, "grown", "write -P 0x5e 10M 1M", "flush", "read -P 0x5e 10M 1M");
      qemuIo(1, "grown", "read -P 0x5e 10M 1M", "read -P 0 4M 1M");
      on1.runOk("read -P 0 0 64k");  // the connections opened before keep working at their size
    }
  }

  private long size(int server, String volume) {
    return Long.parseLong(run(TOOL_TIMEOUT, "nbdinfo", "--size", cluster.nbdUri(server, volume)).assertOk()
        .output().trim());
  }
}
