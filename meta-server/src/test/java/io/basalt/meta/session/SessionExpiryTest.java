package io.basalt.meta.session;

import static io.basalt.meta.MetaTestSupport.awaitActive;
import static io.basalt.meta.MetaTestSupport.config;
import static io.basalt.meta.MetaTestSupport.registerChunks;
import static io.basalt.meta.MetaTestSupport.startCore;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.basalt.meta.MetaCore;
import io.basalt.meta.MetaTestSupport;
import io.basalt.meta.zk.EmbeddedZooKeeper;
import io.basalt.proto.AllocateExtentRequest;
import io.basalt.proto.ChunkInfo;
import io.basalt.proto.ChunkStatus;
import io.basalt.proto.ClusterStatusResponse;
import io.basalt.proto.CreateVolumeRequest;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.ExtentState;
import io.basalt.proto.ReportReplicasRequest;
import io.basalt.proto.VolumeInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Session expiry on a real leader (ZooKeeper, the tick, the batched removal), with keepalives sent by the test:
 * one silent chunk leaves its extents (epoch + 1, DEGRADED, persisted) and is HEALTHY again when it returns; three
 * of four silent is jeopardy with nothing removed; a confirmed jeopardy removes them but never an extent's last
 * replica with a live session. Sessions: keepalive 100 ms, timeout 1 s.
 */
class SessionExpiryTest {
  private static final long MIB = 1 << 20;

  @TempDir
  Path dir;
  EmbeddedZooKeeper zk;
  MetaCore core;
  final Set<Integer> silent = ConcurrentHashMap.newKeySet();
  final Map<Integer, MetaTestSupport.TestSession> sessions = new ConcurrentHashMap<>();
  final ScheduledExecutorService keepalives = Executors.newSingleThreadScheduledExecutor();

  @BeforeEach
  void start() {
    zk = EmbeddedZooKeeper.start(dir);
    core = awaitActive(startCore(config(zk.getConnectionString()), "127.0.0.1:7001"));
    registerChunks(core, 4);
    keepalives.scheduleWithFixedDelay(this::keepAll, 0, 100, TimeUnit.MILLISECONDS);
    MetaTestSupport.awaitGraceOver(core);
  }

  private void keepAll() {
    for (int cid = 1; cid <= 4; cid++) {
      if (silent.contains(cid)) continue;
      try {
        MetaTestSupport.TestSession s = sessions.get(cid);
        if (s == null) {
          sessions.put(cid, MetaTestSupport.openSession(core, cid));
        } else {
          MetaTestSupport.keepAlive(core, s);
        }
      } catch (RuntimeException e) {
        sessions.remove(cid); // NO_SESSION: reconnect as a new session next round
      }
    }
  }

  @AfterEach
  void stop() {
    keepalives.shutdownNow();
    core.close();
    zk.close();
  }

  private List<ExtentInfo> allocateAll(int count) {
    VolumeInfo v = core.volumes().create(CreateVolumeRequest.newBuilder().setName("v").setSizeBytes(count * MIB)
        .setReplicas(3).setExtentSize(MIB).build()).join();
    List<ExtentInfo> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(core.extents().allocate(AllocateExtentRequest.newBuilder().setVid(v.getVid()).setIndex(i).build())
          .join());
    }
    return out;
  }

  private ExtentInfo now(ExtentInfo e) {
    return core.extents().get(e.getPid()).join();
  }

  private ChunkStatus status(int cid) {
    return core.chunks().listChunks().join().getChunksList().stream().filter(c -> c.getCid() == cid)
        .map(ChunkInfo::getStatus).findFirst().orElseThrow();
  }

  @Test
  void aSilentChunkLeavesItsExtentsAndComesBackHealthy() {
    List<ExtentInfo> extents = allocateAll(4);
    silent.add(2);
    await().atMost(Duration.ofSeconds(10)).until(() -> status(2) == ChunkStatus.SESSION_EXPIRED);
    for (ExtentInfo e : extents) {
      ExtentInfo after = now(e);
      if (e.getReplicasList().contains(2)) {
        assertThat(after.getReplicasList()).doesNotContain(2).hasSize(2);
        assertThat(after.getEpoch()).isEqualTo(e.getEpoch() + 1);
        assertThat(after.getState()).isEqualTo(ExtentState.EXTENT_DEGRADED);
      } else {
        assertThat(after).isEqualTo(e);
      }
    }
    assertThat(core.sessions().status().join().getJeopardy()).isFalse();
    List<Long> held = extents.stream().filter(e -> e.getReplicasList().contains(2)).map(ExtentInfo::getPid).toList();
    var report = core.chunks().reportReplicas(ReportReplicasRequest.newBuilder().setCid(2).addAllPids(held)
        .build()).join();
    assertThat(report.getStalePidsList()).as("its old replicas are stale, not deleted")
        .containsExactlyInAnyOrderElementsOf(held);
    assertThat(report.getDeletedPidsList()).isEmpty();

    silent.remove(2);
    await().atMost(Duration.ofSeconds(10)).until(() -> status(2) == ChunkStatus.HEALTHY);
  }

  @Test
  void massExpiryIsJeopardyAndRemovesNothingUntilConfirmed() {
    List<ExtentInfo> extents = allocateAll(4);
    silent.addAll(List.of(1, 2, 3));
    await().atMost(Duration.ofSeconds(10)).until(() -> core.sessions().status().join().getJeopardy());
    ClusterStatusResponse st = core.sessions().status().join();
    assertThat(st.getJeopardyReason()).contains("3 of 4");
    assertThat(st.getHeldExpiries()).isEqualTo(3);
    await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5)).until(() ->
        extents.stream().allMatch(e -> now(e).getReplicasList().equals(e.getReplicasList())));

    silent.clear();
    await().atMost(Duration.ofSeconds(10)).until(() -> !core.sessions().status().join().getJeopardy());
    assertThat(extents).allSatisfy(e -> assertThat(now(e).getReplicasList()).isEqualTo(e.getReplicasList()));

    silent.addAll(List.of(1, 2, 3));
    await().atMost(Duration.ofSeconds(10)).until(() -> core.sessions().status().join().getJeopardy());
    assertThat(core.sessions().confirmExpiry().join().getChunks()).isEqualTo(3);
    await().atMost(Duration.ofSeconds(10)).until(() -> status(1) == ChunkStatus.SESSION_EXPIRED
        && status(2) == ChunkStatus.SESSION_EXPIRED && status(3) == ChunkStatus.SESSION_EXPIRED);
    for (ExtentInfo e : extents) {
      ExtentInfo after = now(e);
      assertThat(after.getState()).isEqualTo(ExtentState.EXTENT_DEGRADED);
      if (e.getReplicasList().contains(4)) {
        assertThat(after.getReplicasList()).containsExactly(4);
      } else {
        assertThat(after.getReplicasList()).as("no live replica left: all kept").isEqualTo(e.getReplicasList());
      }
    }
  }
}
