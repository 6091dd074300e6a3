package io.basalt.it;

import static io.basalt.it.cluster.ExternalTools.assumeInstalled;
import static io.basalt.it.cluster.ExternalTools.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.it.cluster.ClusterAsserts;
import io.basalt.it.cluster.ExternalTools;
import io.basalt.it.cluster.MiniCluster;
import io.basalt.proto.Envelope;
import io.basalt.proto.ListVolumesRequest;
import io.basalt.proto.VolumeInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end on a real cluster (embedded ZooKeeper, meta, 3 chunks on RocksDB, NBD over TCP): real NBD clients
 * write patterns and images, every replica ends identical, and the data survives chunk and meta restarts.
 * The steps build on each other, so they run in order on one cluster.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ReplicatedVolumeIT {
  private static final long MiB = 1 << 20;
  private static final Duration TOOL_TIMEOUT = Duration.ofMinutes(2);

  @TempDir
  static Path dir;
  private MiniCluster cluster;
  private Path image;
  private final List<String[]> patterns = new ArrayList<>();

  @BeforeAll
  void start() throws Exception {
    cluster = MiniCluster.start(dir.resolve("cluster"), 3);
    cluster.createVolume("vol", 64 * MiB, MiB, 3);
    cluster.createVolume("img", 8 * MiB, MiB, 3);
    byte[] data = new byte[(int) (8 * MiB)];
    new Random(42).nextBytes(data);
    // some all-zero stretches: zero blocks are stored as holes and must still read back
    Arrays.fill(data, (int) MiB, (int) (MiB + 256 * 1024), (byte) 0);
    image = dir.resolve("image.bin");
    Files.write(image, data);
    // 40 writes at many offsets: aligned, 512-byte aligned, crossing extent boundaries, various lengths
    Random r = new Random(7);
    for (int i = 0; i < 40; i++) {
      long offset = (i * 1_572_864L + (r.nextInt(2048) * 512L)) % (63 * MiB);
      int length = 512 * (1 + r.nextInt(512));
      if (i % 5 == 0) {
        offset = (i / 5 + 1) * MiB - 4096; // straddles an extent boundary
        length = 8192;
      }
      patterns.add(new String[] {String.valueOf(0x11 + i), String.valueOf(offset), String.valueOf(length)});
    }
  }

  @AfterAll
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private List<String> qemuIo(String op) {
    List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "raw", cluster.nbdUri("vol")));
    // later writes may overlap earlier ones: only the last writer of each byte is verified, so verify
    // in order with the same sequence (qemu-io runs -c commands in order)
    for (String[] p : patterns) {
      cmd.add("-c");
      cmd.add(op + " -P " + p[0] + " " + p[1] + " " + p[2]);
    }
    return cmd;
  }

  private void verifyPatterns() {
    // Overlaps: read back each pattern only over the bytes no later pattern rewrote.
    List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "raw", cluster.nbdUri("vol")));
    for (int i = 0; i < patterns.size(); i++) {
      long start = Long.parseLong(patterns.get(i)[1]);
      long end = start + Long.parseLong(patterns.get(i)[2]);
      List<long[]> pieces = new ArrayList<>(List.of(new long[] {start, end}));
      for (int j = i + 1; j < patterns.size(); j++) {
        long s = Long.parseLong(patterns.get(j)[1]);
        long e = s + Long.parseLong(patterns.get(j)[2]);
        List<long[]> next = new ArrayList<>();
        for (long[] piece : pieces) {
          if (e <= piece[0] || s >= piece[1]) {
            next.add(piece);
            continue;
          }
          if (s > piece[0]) next.add(new long[] {piece[0], s});
          if (e < piece[1]) next.add(new long[] {e, piece[1]});
        }
        pieces = next;
      }
      for (long[] piece : pieces) {
        cmd.add("-c");
        cmd.add("read -P " + patterns.get(i)[0] + " " + piece[0] + " " + (piece[1] - piece[0]));
      }
    }
    ExternalTools.Result res = run(TOOL_TIMEOUT, cmd).assertOk();
    assertThat(res.output()).doesNotContain("Pattern verification failed").doesNotContain("error");
  }

  private void copyOutAndCompare(String name) throws Exception {
    Path out = dir.resolve("out-" + name + ".bin");
    Files.deleteIfExists(out);
    run(TOOL_TIMEOUT, "nbdcopy", cluster.nbdUri("img"), out.toString()).assertOk();
    assertThat(Files.mismatch(image, out)).as("first differing byte").isEqualTo(-1L);
  }

  @Test
  @Order(1)
  void qemuIoPatternsReadBackExactly() {
    assumeInstalled("qemu-io");
    ExternalTools.Result res = run(TOOL_TIMEOUT, qemuIo("write")).assertOk();
    assertThat(res.output()).doesNotContain("error");
    run(TOOL_TIMEOUT, "qemu-io", "-f", "raw", cluster.nbdUri("vol"), "-c", "flush").assertOk();
    verifyPatterns();
    // unwritten space reads as zeros (extent 63 is never written)
    run(TOOL_TIMEOUT, "qemu-io", "-f", "raw", cluster.nbdUri("vol"), "-c", "read -P 0 " + 63 * MiB + " " + MiB)
        .assertOk();
  }

  @Test
  @Order(2)
  void nbdcopyImageRoundTrips() throws Exception {
    assumeInstalled("nbdcopy");
    run(TOOL_TIMEOUT, "nbdcopy", "--flush", image.toString(), cluster.nbdUri("img")).assertOk();
    copyOutAndCompare("first");
  }

  @Test
  @Order(3)
  void everyExtentHasIdenticalReplicas() {
    int checked = ClusterAsserts.assertReplicasIdentical(cluster, "vol", 3)
        + ClusterAsserts.assertReplicasIdentical(cluster, "img", 3);
    assertThat(checked).as("allocated extents checked").isGreaterThanOrEqualTo(8);
  }

  @Test
  @Order(4)
  void dataSurvivesChunkRestart() throws Exception {
    assumeInstalled("qemu-io");
    assumeInstalled("nbdcopy");
    int cidBefore = cluster.chunk(1).cid();
    cluster.restartChunk(1);
    assertThat(cluster.chunk(1).cid()).as("a restarted chunk keeps its cid").isEqualTo(cidBefore);
    verifyPatterns();
    copyOutAndCompare("after-chunk-restart");
    // writes go on after the restart and replicate to the restarted chunk
    run(TOOL_TIMEOUT, "qemu-io", "-f", "raw", cluster.nbdUri("vol"), "-c", "write -P 0x5a 0 65536",
        "-c", "read -P 0x5a 0 65536").assertOk();
    ClusterAsserts.assertReplicasIdentical(cluster, "vol", 3);
  }

  @Test
  @Order(5)
  void metaRestartFindsVolumes() throws Exception {
    assumeInstalled("nbdcopy");
    cluster.restartMeta();
    List<VolumeInfo> volumes = cluster.metaClient()
        .callSync(Envelope.newBuilder().setListVolumes(ListVolumesRequest.getDefaultInstance()))
        .getListVolumesResponse().getVolumesList();
    assertThat(volumes).extracting(VolumeInfo::getName).containsExactlyInAnyOrder("vol", "img");
    assertThat(cluster.extents("img")).hasSize(8);
    copyOutAndCompare("after-meta-restart");
    ClusterAsserts.assertReplicasIdentical(cluster, "img", 3);
  }
}
