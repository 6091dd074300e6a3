package io.basalt.it.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import io.basalt.client.ClientConfig;
import io.basalt.client.ClusterVolumeProvider;
import io.basalt.client.Volume;
import io.basalt.it.cluster.ClusterNode;
import io.basalt.it.cluster.ProcessCluster;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.ReplicaStatusResponse;
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
    try (ProcessCluster cluster = ProcessCluster.builder(dir).chunks(3).metas(2).nbd(false)
        .sessions(SessionFaultIT.KEEPALIVE, SessionFaultIT.TIMEOUT).start();
        ClusterVolumeProvider volumes = new ClusterVolumeProvider(cluster.metaClient(), cluster.rpc(),
            ClientConfig.defaults().withCallDeadline(Duration.ofSeconds(30)), new MetricRegistry())) {
      cluster.createVolume("vol", MiB, MiB, 3);
      Volume volume = volumes.open("vol");
      byte[] first = block(1);
      volume.write(0, Unpooled.wrappedBuffer(first), false).join();

      // The owner dies; once meta has removed it, the two members left are B (asked first by clients) and C.
      int a = extent(cluster).getOwnerCid();
      cluster.kill9(cluster.chunkByCid(a));
      await().atMost(Duration.ofSeconds(20)).until(() -> !extent(cluster).getReplicasList().contains(a));
      ExtentInfo shrunk = extent(cluster);
      ClusterNode b = cluster.chunkByCid(shrunk.getReplicas(0));
      ClusterNode c = cluster.chunkByCid(shrunk.getReplicas(1));
      long pid = shrunk.getPid();

      // B is granted the lease (the epoch moves in ZooKeeper) and held before it installs it.
      cluster.failpoint(b, BEFORE_INSTALL, "hang");
      byte[] second = block(2);
      CompletableFuture<Void> held = volume.write(0, Unpooled.wrappedBuffer(second), false);
      await().atMost(Duration.ofSeconds(20)).until(() -> cluster.logged(b, "failpoint " + BEFORE_INSTALL + " fired"));
      long granted = extent(cluster).getEpoch();
      assertThat(granted).isGreaterThan(shrunk.getEpoch());

      ClusterNode leader = cluster.awaitMetaLeader();
      cluster.kill9(leader);
      ClusterNode next = cluster.awaitMetaLeader();
      assertThat(next).isNotEqualTo(leader);
      // past the new leader's grace (one session timeout), C is asked to write the same block
      await().atMost(Duration.ofSeconds(20)).until(() -> cluster.clusterStatus().getGraceRemainingMs() <= 0);
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
          refused.get() == null ? "none" : refused.get().getMessage(), extent(cluster).getOwnerCid(), extent(cluster).getEpoch());

      cluster.failpoint(b, BEFORE_INSTALL, "off");
      boolean heldAcked = held.handle((v, err) -> err == null).get(60, TimeUnit.SECONDS);
      byte[] fourth = block(4);
      volume.write(4096, Unpooled.wrappedBuffer(fourth), false).get(60, TimeUnit.SECONDS);

      // I2: both members at one gen with one content; every acknowledged write reads back
      await().atMost(Duration.ofSeconds(20)).until(() -> status(cluster, b, pid).getGen()
          == status(cluster, c, pid).getGen());
      ReplicaStatusResponse sb = status(cluster, b, pid);
      ReplicaStatusResponse sc = status(cluster, c, pid);
      System.out.printf("install fencing: C wrote=%s, B's held write acked=%s, gen B=%d C=%d, epochs B=%d C=%d%n",
          cWrote, heldAcked, sb.getGen(), sc.getGen(), sb.getEpoch(), sc.getEpoch());
      assertThat(sb.getHash()).as("replicas at gen %d hash-equal", sb.getGen()).isEqualTo(sc.getHash());
      // block 0: the last acknowledged write, or one still in doubt (B's held write, if it failed)
      byte[] block0 = read(volume, 0);
      List<byte[]> allowed = new ArrayList<>(List.of(second));
      if (cWrote) {
        allowed.add(third);
      } else if (!heldAcked) {
        allowed.add(first);
      }
      assertThat(allowed).as("block 0 holds an acknowledged (or in-doubt) write").anySatisfy(
          x -> assertThat(block0).isEqualTo(x));
      assertThat(read(volume, 4096)).isEqualTo(fourth);
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
    } catch (java.util.concurrent.ExecutionException e) {
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
