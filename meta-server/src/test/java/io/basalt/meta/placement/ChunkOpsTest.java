package io.basalt.meta.placement;

import static io.basalt.meta.MetaTestSupport.awaitActive;
import static io.basalt.meta.MetaTestSupport.config;
import static io.basalt.meta.MetaTestSupport.registerChunks;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.codahale.metrics.MetricRegistry;
import io.basalt.meta.MetaCore;
import io.basalt.meta.state.Liveness;
import io.basalt.meta.zk.EmbeddedZooKeeper;
import io.basalt.proto.AllocateExtentRequest;
import io.basalt.proto.CreateVolumeRequest;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.ReportReplicasRequest;
import io.basalt.proto.ReportReplicasResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * ReportReplicas hands the catch-up copies worth recovery's attention to the {@link CatchUpListener}, on the meta
 * loop, against a real leader's tables (a second ChunkOps over the core's state, with a recording listener).
 */
@Timeout(60)
class ChunkOpsTest {
  @TempDir
  Path dir;
  EmbeddedZooKeeper zk;
  MetaCore core;

  record Reported(int cid, Set<Long> pids, long nowNanos, boolean onLoop) {}

  final List<Reported> reported = new ArrayList<>();
  ChunkOps ops;

  @BeforeEach
  void start() {
    zk = EmbeddedZooKeeper.start(dir);
    core = awaitActive(MetaCore.start(config(zk.getConnectionString()), "127.0.0.1:7001", new MetricRegistry()));
    registerChunks(core, 4);
    Liveness allAlive = new Liveness() {
      @Override
      public boolean chunkAlive(int cid) {
        return true;
      }

      @Override
      public boolean sessionAlive(int cid, long sessionEpoch) {
        return true;
      }
    };
    ops = new ChunkOps(core.metaState(), allAlive, (cid, pids, now) -> reported.add(new Reported(cid, pids, now,
        core.metaState().loop().inLoop())));
  }

  @AfterEach
  void stop() {
    core.close();
    zk.close();
  }

  ExtentInfo allocate() {
    var v = core.volumes().create(CreateVolumeRequest.newBuilder().setName("v").setSizeBytes(4L << 20)
        .setReplicas(3).setExtentSize(1L << 20).build()).join();
    return core.extents().allocate(AllocateExtentRequest.newBuilder().setVid(v.getVid()).setIndex(0)
        .setPreferredCid(1).build()).join();
  }

  @Test
  void onlyExistingExtentsThatDoNotHoldTheChunkAreRecordedAndEachReportReplacesTheLast() {
    ExtentInfo e = allocate();
    int member = e.getReplicas(1);
    int outsider = IntStream.rangeClosed(1, 4).filter(c -> !e.getReplicasList().contains(c)).findFirst()
        .orElseThrow();
    long unknown = e.getPid() + 1000;

    ReportReplicasResponse r = ops.reportReplicas(ReportReplicasRequest.newBuilder().setCid(outsider)
        .addPids(e.getPid()).addPids(unknown).addCatchupPids(e.getPid()).addCatchupPids(unknown).build()).join();
    assertThat(r.getStalePidsList()).containsExactly(e.getPid());
    assertThat(r.getDeletedPidsList()).containsExactly(unknown);
    ops.reportReplicas(ReportReplicasRequest.newBuilder().setCid(member).addPids(e.getPid())
        .addCatchupPids(e.getPid()).build()).join();
    ops.reportReplicas(ReportReplicasRequest.newBuilder().setCid(outsider).build()).join();

    assertThat(reported).extracting(Reported::cid, Reported::pids).containsExactly(
        tuple(outsider, Set.of(e.getPid())), tuple(member, Set.of()), tuple(outsider, Set.of()));
    assertThat(reported).as("told on the meta loop, where the recovery table lives").allMatch(Reported::onLoop);
    assertThat(reported.get(2).nowNanos()).isGreaterThanOrEqualTo(reported.get(0).nowNanos());
  }
}
