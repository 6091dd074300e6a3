package io.basalt.it.fault;

import static io.basalt.it.fault.RecoveryCluster.MiB;
import static io.basalt.it.fault.RecoveryCluster.PAUSE_BUDGET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.basalt.client.ClusterVolumeProvider;
import io.basalt.client.volume.Volume;
import io.basalt.it.check.Stresser;
import io.basalt.it.cluster.ClusterAsserts;
import io.basalt.it.cluster.ClusterNode;
import io.basalt.it.cluster.NodeRole;
import io.basalt.it.cluster.ProcessCluster;
import io.basalt.proto.Envelope;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.MutateReplicaRequest;
import io.basalt.proto.QuarantineReport;
import io.basalt.proto.ReplicaMutation;
import io.basalt.proto.VolumeInfo;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * TESTPLAN F19 through the meta leader's scrubber, with a stresser on another volume throughout (issue 13): a bad
 * replica of a quiet extent is found by scrub alone (no read touches it), quarantined with its evidence kept, and
 * replaced by recovery; the checker then finds 3 equal replicas everywhere and every acknowledged write.
 * <ul>
 *   <li>(c) a valid-CRC block written on one replica only (the DeleteRange kind of loss): the light scrub's digests
 *       differ, the majority wins;</li>
 *   <li>(a) a bad-CRC block at the owner (test-only admin call): the first read is served from a member and repairs
 *       it (read repair, no scrub needed);</li>
 *   <li>(b) bytes flipped in a member's block files behind its back (bit rot; the chunk keeps running, since a
 *       restart of a member would end its session and its membership first): the CRCs still agree, only the deep
 *       scrub, which reads the data, finds it.</li>
 * </ul>
 * Scrub periods are seconds here (the defaults are 24 h light, 7 days deep): the detection latency printed is the
 * period plus the scheduler's tick and one scrub.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ScrubIT {
  private static final Duration ADMIN = Duration.ofSeconds(10);

  @TempDir
  Path dir;

  @Test
  void aValidCrcBlockOnOneReplicaOnlyIsFoundByScrubAndTheReplicaReplaced() {
    try (ProcessCluster cluster = RecoveryCluster.builder(dir, 4)
        .args(NodeRole.META, "--scrub-light-period", "2s").start();
        ClusterVolumeProvider volumes = RecoveryCluster.volumes(cluster)) {
      VolumeInfo busy = cluster.createVolume("vol", 4 * MiB, 2 * MiB, 3);
      Volume volume = volumes.open("vol");
      ExtentInfo quiet = quietExtent(cluster, volumes);
      try (Stresser s = Stresser.start(volume, RecoveryCluster.load(busy.getVid(), 2 * MiB, 4 * MiB, 95))) {
        await().atMost(Duration.ofSeconds(60)).until(() -> s.writesAcked() >= 300);
        int victim = nonOwner(quiet);
        ClusterNode node = cluster.chunkByCid(victim);

        long at = System.nanoTime();
        mutate(cluster, node, quiet.getPid(), 5, ReplicaMutation.WRITE_LOCAL, Unpooled.wrappedBuffer(block(7)));
        Duration found = awaitRemoved(cluster, quiet.getPid(), victim, at);
        Duration toRedundancy = RecoveryCluster.awaitRedundant(cluster, "quiet", 3, at, Duration.ofSeconds(60));

        List<QuarantineReport> reports = cluster.quarantine(node.address());
        assertThat(reports).singleElement().satisfies(r -> {
          assertThat(r.getPid()).isEqualTo(quiet.getPid());
          assertThat(r.getReason()).contains("scrub");
          assertThat(r.getBlocksList()).isNotEmpty();
          assertThat(Files.isDirectory(Path.of(r.getEvidence(), "rocksdb"))).isTrue();
        });
        System.out.printf("F19c valid-CRC divergent block on one replica: scrub removed it after %d ms (light"
            + " period 2 s), redundancy after %d ms%n", found.toMillis(), toRedundancy.toMillis());
        RecoveryCluster.check(cluster, s, volume, "ScrubIT-F19c", PAUSE_BUDGET);
      }
    }
  }

  @Test
  void bytesFlippedInAMembersBlockFilesAreFoundByTheDeepScrub() throws IOException {
    try (ProcessCluster cluster = RecoveryCluster.builder(dir, 4)
        .args(NodeRole.META, "--scrub-deep-period", "3s").start();
        ClusterVolumeProvider volumes = RecoveryCluster.volumes(cluster)) {
      ExtentInfo quiet = quietExtent(cluster, volumes);
      int victim = nonOwner(quiet);
      ClusterNode node = cluster.chunkByCid(victim);
      long at = System.nanoTime();
      flipBytes(node.dataDir(), quiet.getPid(), 9);
      Duration found = awaitRemoved(cluster, quiet.getPid(), victim, at);
      RecoveryCluster.awaitRedundant(cluster, "quiet", 3, at, Duration.ofSeconds(60));
      assertThat(cluster.quarantine(node.address())).singleElement()
          .satisfies(r -> assertThat(r.getBlocksList()).contains(9L));
      System.out.printf("F19b bytes flipped in a member's block file: deep scrub removed the replica after %d ms"
          + " (deep period 3 s)%n", found.toMillis());
    }
  }

  /**
   * (a) a block at the owner whose stored bytes no longer match their CRC (the test-only admin call): the first client
   * read of it is served from a member and repairs the owner's copy in place, and the replicas are equal again; the
   * stresser on the other volume sees no error throughout.
   */
  @Test
  void aBadCrcBlockAtTheOwnerIsServedFromAMemberAndRepairedOnRead() {
    try (ProcessCluster cluster = RecoveryCluster.builder(dir, 4).start();
        ClusterVolumeProvider volumes = RecoveryCluster.volumes(cluster)) {
      VolumeInfo busy = cluster.createVolume("vol", 4 * MiB, 2 * MiB, 3);
      Volume volume = volumes.open("vol");
      ExtentInfo quiet = quietExtent(cluster, volumes);
      try (Stresser s = Stresser.start(volume, RecoveryCluster.load(busy.getVid(), 2 * MiB, 4 * MiB, 97))) {
        await().atMost(Duration.ofSeconds(60)).until(() -> s.writesAcked() >= 300);
        ClusterNode owner = cluster.chunkByCid(quiet.getOwnerCid());
        mutate(cluster, owner, quiet.getPid(), 3, ReplicaMutation.CORRUPT_CRC, null);

        long at = System.nanoTime();
        ByteBuf read = volumes.open("quiet").read(3 * 4096, 4096).join();
        Duration served = Duration.ofNanos(System.nanoTime() - at);
        try {
          assertThat(ByteBufUtil.getBytes(read)).as("the member's good copy").isEqualTo(quietBlock(3));
        } finally {
          read.release();
        }
        assertThat(cluster.metric(owner, "basalt_chunk_read_repaired_blocks")).isEqualTo(1);
        assertThat(cluster.extents("quiet").get(0).getReplicasList()).as("repaired, nothing removed")
            .containsExactlyInAnyOrderElementsOf(quiet.getReplicasList());
        ClusterAsserts.assertReplicasIdentical(cluster, "quiet", 3); // the owner's copy was rewritten
        System.out.printf("F19a bad-CRC block at the owner: the read was served from a member in %d ms and the"
            + " block repaired in place%n", served.toMillis());
        RecoveryCluster.check(cluster, s, volume, "ScrubIT-F19a", PAUSE_BUDGET);
      }
    }
  }

  /** The test-only admin mutation of one block of {@code pid} on {@code node} ({@code data}: WRITE_LOCAL's bytes). */
  private static void mutate(ProcessCluster cluster, ClusterNode node, long pid, long block, ReplicaMutation mutation,
      ByteBuf data) {
    cluster.rpc().client(node.address()).call(Envelope.newBuilder().setMutateReplica(MutateReplicaRequest
        .newBuilder().setPid(pid).setOffset(block * 4096).setLength(4096).setMutation(mutation)), data, ADMIN)
        .join().release();
  }

  /** Block {@code index} of the quiet extent as {@link #quietExtent} wrote it. */
  private static byte[] quietBlock(int index) {
    byte[] data = new byte[(int) (2 * MiB)];
    new Random(11).nextBytes(data);
    return Arrays.copyOfRange(data, index * 4096, (index + 1) * 4096);
  }

  /** Volume "quiet", one 2 MiB extent written once in full: no client I/O touches it afterwards. */
  private static ExtentInfo quietExtent(ProcessCluster cluster, ClusterVolumeProvider volumes) {
    cluster.createVolume("quiet", 2 * MiB, 2 * MiB, 3);
    Volume v = volumes.open("quiet");
    byte[] data = new byte[(int) (2 * MiB)];
    new Random(11).nextBytes(data);
    v.write(0, Unpooled.wrappedBuffer(data), true).join();
    return cluster.extents("quiet").get(0);
  }

  private static int nonOwner(ExtentInfo e) {
    return e.getReplicasList().stream().filter(c -> c != e.getOwnerCid()).findFirst().orElseThrow();
  }

  private static Duration awaitRemoved(ProcessCluster cluster, long pid, int cid, long sinceNanos) {
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> cluster.extents("quiet")
        .stream().filter(e -> e.getPid() == pid).noneMatch(e -> e.getReplicasList().contains(cid)));
    return Duration.ofNanos(System.nanoTime() - sinceNanos);
  }

  private static byte[] block(int seed) {
    byte[] b = new byte[4096];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** Flips 16 bytes of block {@code block} in both slot files of {@code pid} (format 3: extents/PID.SLOT). */
  private static void flipBytes(Path chunkDir, long pid, long block) throws IOException {
    try (Stream<Path> files = Files.list(chunkDir.resolve("extents"))) {
      for (Path p : files.filter(x -> x.getFileName().toString().startsWith(String.format("%016x.", pid))).toList()) {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
          ByteBuffer b = ByteBuffer.allocate(16);
          if (ch.read(b, block * 4096 + 100) <= 0) continue;
          b.flip();
          for (int i = 0; i < b.limit(); i++) b.put(i, (byte) ~b.get(i));
          ch.write(b, block * 4096 + 100);
        }
      }
    }
  }
}
