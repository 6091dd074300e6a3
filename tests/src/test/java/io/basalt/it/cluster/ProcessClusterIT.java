package io.basalt.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import io.basalt.client.io.ClientConfig;
import io.basalt.client.ClusterVolumeProvider;
import io.basalt.client.volume.Volume;
import io.basalt.proto.ChunkInfo;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.ReplicaStatusRequest;
import io.basalt.proto.ReplicaStatusResponse;
import io.basalt.rpc.BasaltException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The multi-process harness itself: a real cluster of JVMs, each on its own 127.0.0.x address, serving a volume
 * through NBD and the Java client while chunks and the meta are killed, frozen and restarted, with deaths the test
 * did not cause reported, evidence saved, and no process left behind.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ProcessClusterIT {
  private static final int KiB = 1024;
  private static final int MiB = 1024 * KiB;
  private static final Duration IO = Duration.ofSeconds(30);

  @TempDir
  Path dir;

  private ProcessCluster cluster;

  @AfterEach
  void leavesNoProcessBehind() {
    if (cluster != null) {
      cluster.close();
      assertThat(cluster.nodes()).noneMatch(ClusterNode::isAlive);
      assertThat(running(cluster.runId())).as("processes of this run after close").isEmpty();
    }
  }

  /** {@code pgrep -af io.basalt} lines of processes of run {@code runId} (other clusters may run alongside). */
  private static List<String> running(String runId) {
    return ExternalTools.run(Duration.ofSeconds(10), "pgrep", "-af", "io.basalt").output().lines()
        .filter(l -> l.contains("-Dbasalt.it.run=" + runId + " ")).toList();
  }

  @Test
  void runsKillsFreezesRestartsAndCleansUpRealProcesses() throws Exception {
    long t0 = System.nanoTime();
    cluster = ProcessCluster.builder(dir).chunks(3).metas(1).nbd(true)
        .args(NodeRole.META, "--zk-session-timeout", "4s").start();
    long started = System.nanoTime();
    assertThat(cluster.nodes()).extracting(ClusterNode::host).containsExactly("127.0.0.10", "127.0.0.20",
        "127.0.0.30", "127.0.0.31", "127.0.0.32", "127.0.0.40");
    assertThat(running(cluster.runId())).as("one OS process per node").hasSize(6);
    assertThat(cluster.awaitMetaLeader()).isSameAs(cluster.meta(0));
    assertThat(cluster.listChunks()).extracting(ChunkInfo::getAddress)
        .containsExactlyInAnyOrderElementsOf(cluster.chunks().stream().map(ClusterNode::address).toList());
    // BufferPool.configure ran in main before Netty built its pool (else 1 MiB I/O churns 4 MiB chunks)
    assertThat(cluster.metric(cluster.chunk(0), "basalt_netty_pool_chunk_size_bytes")).isEqualTo(16 * MiB);

    cluster.createVolume("vol", 16 * MiB, MiB, 3);
    byte[] first = fill((byte) 0x5a, 64 * KiB);
    byte[] second = pattern(64 * KiB);
    if (ExternalTools.installed("qemu-io")) {
      ExternalTools.run(IO, "qemu-io", "-f", "raw", cluster.nbdUri("vol"), "-c", "write -P 0x5a 0 64k",
          "-c", "flush", "-c", "read -P 0x5a 0 64k").assertOk();
    }
    try (ClusterVolumeProvider volumes = new ClusterVolumeProvider(cluster.metaClient(), cluster.rpc(),
        ClientConfig.defaults(), new MetricRegistry()); Volume vol = volumes.open("vol")) {
      if (!ExternalTools.installed("qemu-io")) {
        write(vol, 0, first);
      }
      write(vol, MiB, second);
      assertThat(read(vol, 0, first.length)).isEqualTo(first);
      assertReplicas(cluster, first, second);

      // kill -9 a chunk: the test's own kill is no unexpected death; it comes back on its dir, address and port
      ClusterNode chunk1 = cluster.chunk(1);
      long pid1 = chunk1.pid();
      cluster.kill9(chunk1);
      assertThat(chunk1.isAlive()).isFalse();
      assertThat(chunk1.exitCode()).contains(137);
      assertThat(cluster.unexpectedDeaths()).isEmpty();
      cluster.restart(chunk1);
      assertThat(chunk1.pid()).isNotEqualTo(pid1);
      assertThat(chunk1.starts()).isEqualTo(2);
      assertThat(read(vol, MiB, second.length)).isEqualTo(second);
      assertReplicas(cluster, first, second);

      // SIGSTOP freezes a chunk (it stops answering), SIGCONT resumes it
      ClusterNode chunk2 = cluster.chunk(2);
      cluster.stop(chunk2);
      assertThat(chunk2.isStopped()).isTrue();
      assertThat(chunk2.procState()).isEqualTo('T');
      assertThatThrownBy(() -> cluster.rpc().client(chunk2.address()).call(Envelope.newBuilder()
          .setReplicaStatus(ReplicaStatusRequest.newBuilder().setPid(1)), Duration.ofMillis(300)).join())
          .satisfies(e -> assertThat(BasaltException.of(e).code()).isEqualTo(ErrorCode.TIMEOUT));
      cluster.cont(chunk2);
      assertThat(chunk2.isStopped()).isFalse();
      assertThat(cluster.replicaStatus(chunk2.address(), cluster.extents("vol").get(0).getPid()).getExists())
          .isTrue();

      // restart the meta: the same node leads again (after its old ZooKeeper session expired)
      ClusterNode meta = cluster.meta(0);
      long metaPid = meta.pid();
      cluster.restart(meta);
      assertThat(cluster.awaitMetaLeader()).isSameAs(meta);
      assertThat(meta.pid()).isNotEqualTo(metaPid);
      assertThat(cluster.metaLeader()).contains(meta);
      assertThat(read(vol, 0, first.length)).isEqualTo(first);
      assertReplicas(cluster, first, second);
    }
    assertThat(cluster.unexpectedDeaths()).isEmpty();

    // a death the test did not cause is reported with exit code and log tail (the I6 check can fail)
    ClusterNode nbd = cluster.nbd();
    ExternalTools.run(Duration.ofSeconds(10), "kill", "-9", Long.toString(nbd.pid())).assertOk();
    await().atMost(Duration.ofSeconds(10)).until(() -> !cluster.unexpectedDeaths().isEmpty());
    ClusterNode.Death death = cluster.unexpectedDeaths().get(0);
    assertThat(death.node()).isEqualTo("nbd-0");
    assertThat(death.exitCode()).isEqualTo(137);
    assertThat(death.logTail()).anyMatch(l -> l.contains("nbd server ready"));

    // evidence: every live process frozen, data dirs and logs saved with a summary
    Evidence.Saved saved = cluster.collectEvidence(dir.resolve("evidence"), "self-test of ProcessClusterIT");
    assertThat(cluster.nodes()).filteredOn(ClusterNode::isAlive).hasSize(5)
        .allSatisfy(n -> assertThat(n.procState()).as(n.name()).isEqualTo('T'));
    Path ev = saved.dir();
    assertThat(Files.readString(ev.resolve("summary.txt"))).contains("self-test of ProcessClusterIT", "chunk-2",
        "127.0.0.32", "nbd-0 (pid " + death.pid() + ") exited with 137");
    for (ClusterNode n : cluster.nodes()) {
      assertThat(ev.resolve(n.name() + ".log")).isNotEmptyFile();
    }
    assertThat(ev.resolve("chunk-0/data")).isNotEmptyDirectory();
    assertThat(ev.resolve("zk-0/data")).isNotEmptyDirectory();
    assertThat(saved.linked() + saved.copied()).isGreaterThan(10);
    assertThat(Evidence.defaultDir("ProcessClusterIT#x").toString())
        .contains("tests/target/fault-evidence/ProcessClusterIT_x-");

    cluster.close();
    assertThat(running(cluster.runId())).isEmpty();
    System.out.printf("ProcessClusterIT: start %.1f s, total %.1f s, evidence %d linked + %d copied%n",
        (started - t0) / 1e9, (System.nanoTime() - t0) / 1e9, saved.linked(), saved.copied());
  }

  /**
   * A real ZooKeeper ensemble of three processes under two metas: every server gets the whole connect string, the
   * members elect one leader, and with the ZooKeeper leader killed (then a member frozen) the survivors' quorum
   * keeps the meta allocating extents; the killed member rejoins on its own data directory.
   */
  @Test
  void aZooKeeperEnsembleLosesAMemberAndMetaStillAllocates() throws Exception {
    cluster = ProcessCluster.builder(dir).zookeepers(3).metas(2).chunks(3).nbd(false)
        .args(NodeRole.META, "--zk-session-timeout", "4s").start();
    assertThat(cluster.zookeepers()).extracting(ClusterNode::host)
        .containsExactly("127.0.0.10", "127.0.0.11", "127.0.0.12");
    String connect = String.join(",", cluster.zookeepers().stream().map(ClusterNode::address).toList());
    assertThat(cluster.zkAddress()).isEqualTo(connect);
    assertThat(running(cluster.runId())).as("one OS process per node").hasSize(8);
    assertThat(cluster.nodes()).filteredOn(n -> n.role() != NodeRole.ZOOKEEPER)
        .allSatisfy(n -> assertThat(n.command()).containsSequence("--zk", connect));
    assertThat(cluster.zookeepers()).extracting(z -> cluster.zookeeperMode(z).orElse("none"))
        .containsExactlyInAnyOrder("leader", "follower", "follower");
    assertThat(cluster.awaitMetaLeader()).isIn(cluster.metas());

    cluster.createVolume("vol", 8 * MiB, MiB, 3);
    byte[] first = fill((byte) 0x11, 64 * KiB);
    byte[] second = fill((byte) 0x22, 64 * KiB);
    byte[] third = fill((byte) 0x33, 64 * KiB);
    try (ClusterVolumeProvider volumes = new ClusterVolumeProvider(cluster.metaClient(), cluster.rpc(),
        ClientConfig.defaults(), new MetricRegistry()); Volume vol = volumes.open("vol")) {
      write(vol, 0, first);

      // kill -9 the ZooKeeper leader: the other two elect a new one, and a new extent is still allocated
      ClusterNode zkLeader = cluster.awaitZookeeperLeader();
      cluster.kill9(zkLeader);
      write(vol, 3 * MiB, second);
      assertThat(cluster.zookeepers()).filteredOn(ClusterNode::isAlive)
          .extracting(z -> cluster.zookeeperMode(z).orElse("none")).containsExactlyInAnyOrder("leader", "follower");
      assertThat(cluster.extents("vol")).extracting(ExtentInfo::getIndex).containsExactlyInAnyOrder(0, 3);

      // it comes back on its data directory and follows the new leader
      cluster.restart(zkLeader);
      assertThat(cluster.zookeeperMode(zkLeader)).contains("follower");

      // SIGSTOP one follower: the other two still form a quorum
      ClusterNode follower = cluster.zookeepers().stream()
          .filter(z -> cluster.zookeeperMode(z).orElse("").equals("follower")).findFirst().orElseThrow();
      cluster.stop(follower);
      write(vol, 5 * MiB, third);
      cluster.cont(follower);
      await().atMost(Duration.ofSeconds(30)).until(() -> cluster.zookeeperMode(follower).isPresent());

      assertThat(read(vol, 0, first.length)).isEqualTo(first);
      assertThat(read(vol, 3 * MiB, second.length)).isEqualTo(second);
      assertThat(read(vol, 5 * MiB, third.length)).isEqualTo(third);
    }
    assertThat(cluster.extents("vol")).hasSize(3);
    assertThat(cluster.unexpectedDeaths()).isEmpty();
  }

  @Test
  void aProcessThatDiesBeforeReadyFailsStartWithItsLogAndLeavesNothingRunning() {
    Path base = dir.resolve("broken");
    assertThatThrownBy(() -> ProcessCluster.builder(base).chunks(1).nbd(false)
        .args(NodeRole.META, "--no-such-option").start())
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("meta-0@127.0.0.20")
        .hasMessageContaining("exited with 2 before it was ready")
        .hasMessageContaining("--no-such-option");
    assertThat(ExternalTools.run(Duration.ofSeconds(10), "pgrep", "-af", "io.basalt").output().lines()
        .filter(l -> l.contains(base.toString()))).as("processes of the failed start").isEmpty();
  }

  /** Every extent has 3 replicas on our chunks, at one generation, holding the written bytes. */
  private static void assertReplicas(ProcessCluster c, byte[] first, byte[] second) {
    List<String> chunkAddresses = c.chunks().stream().map(ClusterNode::address).toList();
    List<ExtentInfo> extents = c.extents("vol");
    assertThat(extents).hasSize(2);
    for (ExtentInfo e : extents) {
      byte[] expected = e.getIndex() == 0 ? first : second;
      assertThat(e.getReplicaAddressesList()).hasSize(3).isSubsetOf(chunkAddresses);
      long gen = -1;
      for (String address : e.getReplicaAddressesList()) {
        ReplicaStatusResponse s = c.replicaStatus(address, e.getPid());
        assertThat(s.getExists()).isTrue();
        assertThat(gen < 0 || s.getGen() == gen).as("same generation on %s: %s", address, s).isTrue();
        gen = s.getGen();
        assertThat(c.readReplica(address, e.getPid(), 0, expected.length)).as("replica on %s", address)
            .isEqualTo(expected);
      }
    }
  }

  private static void write(Volume vol, long offset, byte[] data) throws Exception {
    vol.write(offset, Unpooled.wrappedBuffer(data), true).get(IO.toSeconds(), TimeUnit.SECONDS);
  }

  private static byte[] read(Volume vol, long offset, int length) throws Exception {
    ByteBuf b = vol.read(offset, length).get(IO.toSeconds(), TimeUnit.SECONDS);
    try {
      return ByteBufUtil.getBytes(b);
    } finally {
      b.release();
    }
  }

  private static byte[] fill(byte value, int length) {
    byte[] b = new byte[length];
    Arrays.fill(b, value);
    return b;
  }

  private static byte[] pattern(int length) {
    byte[] b = new byte[length];
    for (int i = 0; i < length; i++) {
      b[i] = (byte) (i * 31 + (i >> 12));
    }
    return b;
  }
}
