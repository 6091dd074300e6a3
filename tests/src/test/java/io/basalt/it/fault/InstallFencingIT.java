package io.basalt.it.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import io.basalt.client.io.ClientConfig;
import io.basalt.client.ClusterVolumeProvider;
import io.basalt.client.volume.Volume;
import io.basalt.it.cluster.ClusterNode;
import io.basalt.it.cluster.NodeRole;
import io.basalt.it.cluster.ProcessCluster;
import io.basalt.proto.AllocateExtentRequest;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.ReplicaStatusResponse;
import io.basalt.proto.VolumeInfo;
import io.basalt.proto.WriteKind;
import io.basalt.proto.WriteRequest;
import io.basalt.rpc.BasaltException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 9, point 3 (DESIGN.md "Write path" 3, "Meta leadership and failover"): a chunk is granted the lease of an
 * extent and held by a failpoint before it installs it; the meta leader is killed right after the grant; the new
 * leader's grace passes; another member is asked to write. Either the new leader knows the first chunk holds the
 * lease (it was reported while being installed) and the second is turned away, or the second becomes owner at a
 * newer epoch and fences the first, which then must not install at its old epoch. Whichever happens, the members end
 * at one generation with one content (I2) and every acknowledged write reads back.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class InstallFencingIT {
  private static final Logger log = LoggerFactory.getLogger(InstallFencingIT.class);
  private static final long MiB = 1 << 20;
  private static final String BEFORE_INSTALL = "chunk.owner.before-install";

  @TempDir
  Path dir;

  @Test
  void aLeaseGrantedBeforeAMetaFailoverIsNeverInstalledBesideAnotherOwner() throws Exception {
    // Chunk sessions (10 s) outlive the meta failover (ZooKeeper session 4 s), as they must in production.
    try (ProcessCluster cluster = ProcessCluster.builder(dir).chunks(3).metas(2).nbd(false)
        .sessions(Duration.ofMillis(500), Duration.ofSeconds(10)).args(NodeRole.META, "--zk-session-timeout", "4s")
        .start();
        ClusterVolumeProvider volumes = new ClusterVolumeProvider(cluster.metaClient(), cluster.rpc(),
            ClientConfig.defaults().withCallDeadline(Duration.ofSeconds(30)), new MetricRegistry());
        ClusterVolumeProvider impatient = new ClusterVolumeProvider(cluster.metaClient(), cluster.rpc(),
            ClientConfig.defaults().withIoDeadline(Duration.ofSeconds(2)), new MetricRegistry())) {
      VolumeInfo info = cluster.createVolume("vol", MiB, MiB, 3);
      // Allocated without a write, so nobody owns it yet: a client's first write goes to the first replica, B.
      ExtentInfo allocated = cluster.metaClient().callSync(Envelope.newBuilder().setAllocateExtent(
          AllocateExtentRequest.newBuilder().setVid(info.getVid()).setIndex(0))).getExtentResponse().getExtent();
      ClusterNode b = cluster.chunkByCid(allocated.getReplicas(0));
      ClusterNode c = cluster.chunkByCid(allocated.getReplicas(1));
      long pid = allocated.getPid();
      Volume volume = volumes.open("vol");

      // B is granted the lease (the epoch moves in ZooKeeper) and held before it installs it. The client gives the
      // write up after 2 s (in doubt): the attempt still waits in B, and nothing re-sends it, so whatever B does with
      // it when released stays visible.
      cluster.failpoint(b, BEFORE_INSTALL, "hang");
      byte[] second = block(2);
      CompletableFuture<Void> held = impatient.open("vol").write(4096, Unpooled.wrappedBuffer(second), false);
      await().atMost(Duration.ofSeconds(20)).until(() -> cluster.logged(b, "failpoint " + BEFORE_INSTALL + " fired"));
      long granted = extent(cluster).getEpoch();
      assertThat(granted).isGreaterThan(allocated.getEpoch());

      ClusterNode leader = cluster.awaitMetaLeader();
      cluster.kill9(leader);
      await().atMost(Duration.ofSeconds(30)).until(() -> cluster.metaLeader().filter(m -> m != leader).isPresent());
      ClusterNode next = cluster.awaitMetaLeader();
      // past the new leader's grace (every chunk reported in, or one session timeout), C is asked to write
      await().atMost(Duration.ofSeconds(30)).until(() -> cluster.clusterStatus().getGraceRemainingMs() <= 0);
      byte[] third = block(3);
      AtomicReference<BasaltException> refused = new AtomicReference<>();
      boolean cWrote;
      try {
        await().atMost(Duration.ofSeconds(8)).pollInterval(Duration.ofMillis(200))
            .until(() -> tryWrite(cluster, c, pid, third, refused));
        cWrote = true;
      } catch (ConditionTimeoutException e) {
        cWrote = false;
      }
      log.info("second owner wrote: {} (last refusal: {}); owner now cid={} epoch={}", cWrote,
          refused.get() == null ? "none" : refused.get().getMessage(), extent(cluster).getOwnerCid(),
          extent(cluster).getEpoch());

      cluster.failpoint(b, BEFORE_INSTALL, "off");
      boolean heldAcked = held.handle((v, err) -> err == null).get(60, TimeUnit.SECONDS);
      byte[] fourth = block(4);
      volume.write(8192, Unpooled.wrappedBuffer(fourth), false).get(60, TimeUnit.SECONDS);

      // I2: every member at one gen with one content
      List<ClusterNode> members = allocated.getReplicasList().stream().map(cluster::chunkByCid).toList();
      await().atMost(Duration.ofSeconds(20)).until(() -> members.stream().map(m -> status(cluster, m, pid).getGen())
          .distinct().count() == 1);
      List<ReplicaStatusResponse> statuses = members.stream().map(m -> status(cluster, m, pid)).toList();
      System.out.printf("install fencing: C wrote=%s, B's held write acked=%s, gens=%s, epochs=%s%n", cWrote,
          heldAcked, statuses.stream().map(ReplicaStatusResponse::getGen).toList(),
          statuses.stream().map(ReplicaStatusResponse::getEpoch).toList());
      assertThat(statuses).extracting(ReplicaStatusResponse::getHash).as("replicas at gen %d hash-equal",
          statuses.get(0).getGen()).containsOnly(statuses.get(0).getHash());
      // every acknowledged write reads back, and the in-doubt one is there or not, the same on every replica
      assertThat(read(volume, 0)).isEqualTo(cWrote ? third : new byte[4096]);
      assertThat(read(volume, 4096)).satisfiesAnyOf(x -> assertThat(x).isEqualTo(second),
          x -> assertThat(x).isEqualTo(new byte[4096]));
      assertThat(read(volume, 8192)).isEqualTo(fourth);
      // the lease being installed was reported to the new leader, which kept it for B instead of granting C
      assertThat(cluster.logged(next, "lease re-adopted in leader grace pid=" + pid + " cid=" + allocated.getReplicas(0)))
          .isTrue();
      assertThat(cWrote).as("C became a second owner (last refusal: %s)", refused.get()).isFalse();
      assertThat(cluster.unexpectedDeaths()).isEmpty();
    }
  }

  private static ExtentInfo extent(ProcessCluster cluster) {
    return cluster.extents("vol").get(0);
  }

  private static ReplicaStatusResponse status(ProcessCluster cluster, ClusterNode chunk, long pid) {
    return cluster.replicaStatus(chunk.address(), pid);
  }

  private static byte[] block(int fill) {
    byte[] b = new byte[4096];
    Arrays.fill(b, (byte) fill);
    return b;
  }

  private static byte[] read(Volume volume, long offset) {
    ByteBuf buf = volume.read(offset, 4096).join();
    try {
      return ByteBufUtil.getBytes(buf);
    } finally {
      buf.release();
    }
  }

  /** One write straight to {@code chunk}: true once acknowledged, false (noting why) when refused retryably. */
  private static boolean tryWrite(ProcessCluster cluster, ClusterNode chunk, long pid, byte[] data,
      AtomicReference<BasaltException> refused) throws Exception {
    try {
      writeDirect(cluster, chunk, pid, data).get(5, TimeUnit.SECONDS);
      return true;
    } catch (ExecutionException e) {
      BasaltException b = BasaltException.of(e.getCause());
      assertThat(b.retryable()).as("refusal of cid=%s: %s", chunk, b).isTrue();
      refused.set(b);
      return false;
    }
  }

  /** A client write sent straight to one member (which takes the lease if it can), as a client would after a miss. */
  private static CompletableFuture<Void> writeDirect(ProcessCluster cluster, ClusterNode chunk, long pid,
      byte[] data) {
    WriteRequest.Builder w = WriteRequest.newBuilder().setPid(pid).setOffset(0).setLength(data.length)
        .setKind(WriteKind.WRITE);
    return cluster.rpc().client(chunk.address()).call(Envelope.newBuilder().setWrite(w),
        Unpooled.wrappedBuffer(data), Duration.ofSeconds(4)).thenAccept(f -> {
          f.release();
          if (f.header().getCode() != ErrorCode.OK) {
            throw new IllegalStateException("unexpected reply " + f.header());
          }
        });
  }
}
