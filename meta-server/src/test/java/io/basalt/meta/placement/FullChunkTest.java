package io.basalt.meta.placement;

import static io.basalt.meta.MetaTestSupport.awaitActive;
import static io.basalt.meta.MetaTestSupport.config;
import static io.basalt.meta.MetaTestSupport.registerChunks;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import io.basalt.meta.MetaCore;
import io.basalt.meta.MetaTestSupport;
import io.basalt.meta.MetaTestSupport.TestSession;
import io.basalt.meta.zk.EmbeddedZooKeeper;
import io.basalt.proto.AcquireLeaseRequest;
import io.basalt.proto.AllocateExtentRequest;
import io.basalt.proto.ChunkInfo;
import io.basalt.proto.CreateVolumeRequest;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.KeepAliveRequest;
import io.basalt.proto.ReplicaFailedRequest;
import io.basalt.proto.SessionGroup;
import io.basalt.proto.VolumeInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A chunk whose keepalive says its disk is full (TESTPLAN F16) on a real leader: meta keeps and shows the flag, and
 * neither new extents nor recovery targets go there until it reports room again.
 */
@Timeout(60)
class FullChunkTest {
  static final long MIB = 1L << 20;
  static final int FULL = 4;

  @TempDir
  Path dir;
  EmbeddedZooKeeper zk;
  MetaCore core;
  final Map<Integer, TestSession> sessions = new ConcurrentHashMap<>();
  final Set<Integer> full = ConcurrentHashMap.newKeySet();
  final ScheduledExecutorService keepalives = Executors.newSingleThreadScheduledExecutor();

  @BeforeEach
  void start() {
    zk = EmbeddedZooKeeper.start(dir);
    core = awaitActive(MetaCore.start(config(zk.getConnectionString()), "127.0.0.1:7001", new MetricRegistry()));
    registerChunks(core, 4);
    full.add(FULL);
    keepalives.scheduleWithFixedDelay(this::keepAll, 0, 100, TimeUnit.MILLISECONDS);
    await().atMost(Duration.ofSeconds(20)).until(() -> sessions.size() == 4);
    MetaTestSupport.awaitGraceOver(core);
    await().atMost(Duration.ofSeconds(5)).until(() -> chunk(FULL).getFull());
  }

  @AfterEach
  void stop() throws InterruptedException {
    keepalives.shutdownNow();
    keepalives.awaitTermination(5, TimeUnit.SECONDS);
    core.close();
    zk.close();
  }

  /** Keepalives of chunks 1-4, each with its current full flag. */
  private void keepAll() {
    for (int cid = 1; cid <= 4; cid++) {
      try {
        TestSession s = sessions.get(cid);
        KeepAliveRequest.Builder b = KeepAliveRequest.newBuilder().setGroup(SessionGroup.CHUNK).setCid(cid)
            .setName("test").setFull(full.contains(cid));
        if (s != null) b.setSessionUuid(s.uuid()).setSessionEpoch(s.epoch());
        var r = core.sessions().keepAlive(b.build()).join();
        if (s == null) sessions.put(cid, new TestSession(cid, r.getSessionUuid(), r.getSessionEpoch()));
      } catch (RuntimeException e) {
        // the next round retries
      }
    }
  }

  private ChunkInfo chunk(int cid) {
    return core.chunks().listChunks().join().getChunksList().stream().filter(c -> c.getCid() == cid).findFirst()
        .orElseThrow();
  }

  private ExtentInfo allocate(VolumeInfo v, int index, int preferred) {
    return core.extents().allocate(AllocateExtentRequest.newBuilder().setVid(v.getVid()).setIndex(index)
        .setPreferredCid(preferred).build()).join();
  }

  @Test
  void aFullChunkIsShownAndGetsNoNewExtentUntilItHasRoomAgain() {
    assertThat(chunk(1).getFull()).isFalse();
    VolumeInfo v = core.volumes().create(CreateVolumeRequest.newBuilder().setName("v").setSizeBytes(8 * MIB)
        .setReplicas(3).setExtentSize(MIB).build()).join();
    for (int i = 0; i < 4; i++) {
      // even as the client's preferred (local) chunk
      assertThat(allocate(v, i, FULL).getReplicasList()).containsExactlyInAnyOrder(1, 2, 3);
    }
    full.remove(FULL);
    await().atMost(Duration.ofSeconds(5)).until(() -> !chunk(FULL).getFull());
    assertThat(allocate(v, 4, FULL).getReplicasList()).startsWith(FULL);
  }

  @Test
  void aFullChunkIsNoRecoveryTarget() {
    VolumeInfo v = core.volumes().create(CreateVolumeRequest.newBuilder().setName("v").setSizeBytes(4 * MIB)
        .setReplicas(3).setExtentSize(MIB).build()).join();
    ExtentInfo e = allocate(v, 0, 1);
    assertThat(e.getReplicasList()).containsExactlyInAnyOrder(1, 2, 3);
    TestSession owner = sessions.get(1);
    ExtentInfo leased = core.extents().acquireLease(AcquireLeaseRequest.newBuilder().setPid(e.getPid()).setCid(1)
        .setSessionUuid(owner.uuid()).setSessionEpoch(owner.epoch()).build()).join();
    ExtentInfo degraded = core.recovery().replicaFailed(ReplicaFailedRequest.newBuilder().setPid(e.getPid())
        .setEpoch(leased.getEpoch()).setOwnerCid(1).setOwnerSession(owner.epoch()).setFailedCid(3)
        .setReason("test").build()).join();
    assertThat(degraded.getReplicasList()).containsExactlyInAnyOrder(1, 2);

    // chunk 3 cools down after its failure and chunk 4 is full: no target at all
    assertThat(core.recoveryScheduler().passNow().join()).isZero();
    assertThat(core.extents().get(e.getPid()).join().getRecoveringCid()).isZero();

    full.remove(FULL);
    await().atMost(Duration.ofSeconds(5)).until(() -> !chunk(FULL).getFull());
    assertThat(core.recoveryScheduler().passNow().join()).isEqualTo(1);
    assertThat(core.extents().get(e.getPid()).join().getRecoveringCid()).isEqualTo(FULL);
  }
}
