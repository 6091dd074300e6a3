package io.basalt.meta;

import static io.basalt.meta.MetaTestSupport.awaitActive;
import static io.basalt.meta.MetaTestSupport.config;
import static io.basalt.meta.MetaTestSupport.failure;
import static io.basalt.meta.MetaTestSupport.registerChunks;
import static io.basalt.meta.MetaTestSupport.startCore;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.basalt.meta.state.LeadershipState;
import io.basalt.meta.store.ZkMetaStore;
import io.basalt.meta.store.ZkPaths;
import io.basalt.meta.zk.EmbeddedZooKeeper;
import io.basalt.proto.AcquireLeaseRequest;
import io.basalt.proto.AllocateExtentRequest;
import io.basalt.proto.CreateVolumeRequest;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.GetExtentsRequest;
import io.basalt.proto.VolumeInfo;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.NotLeaderException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Two (or more) meta cores on one real ZooKeeper: election, follower answers, failover, fencing, suspension. */
@Timeout(180)
class LeaderElectionTest {
  static final long MIB = 1L << 20;
  @TempDir
  Path dir;
  EmbeddedZooKeeper zk;
  final List<MetaCore> closeables = new ArrayList<>();

  @AfterEach
  void stop() {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    zk.close();
  }

  MetaCore core(String id) {
    MetaCore c = startCore(config(zk.getConnectionString()), id);
    closeables.add(c);
    return c;
  }

  void startZk() {
    zk = EmbeddedZooKeeper.start(dir);
  }

  static MetaCore activeOf(MetaCore... cores) {
    await().atMost(Duration.ofSeconds(20)).until(() -> countActive(cores) == 1);
    for (MetaCore c : cores) {
      if (c.isActiveLeader()) {
        return c;
      }
    }
    throw new AssertionError("no active leader");
  }

  static int countActive(MetaCore... cores) {
    int n = 0;
    for (MetaCore c : cores) {
      n += c.isActiveLeader() ? 1 : 0;
    }
    return n;
  }

  static VolumeInfo create(MetaCore c, String name) {
    return c.volumes().create(CreateVolumeRequest.newBuilder().setName(name).setSizeBytes(8 * MIB).setReplicas(3)
        .setExtentSize(MIB).build()).join();
  }

  @Test
  void oneLeadsTheOtherAnswersNotLeaderAndTakesOverOnClose() {
    startZk();
    MetaCore a = core("127.0.0.1:7001");
    MetaCore b = core("127.0.0.1:7002");
    MetaCore leader = activeOf(a, b);
    MetaCore follower = leader == a ? b : a;
    assertThat(follower.state()).isEqualTo(LeadershipState.FOLLOWER);

    registerChunks(leader, 3);
    VolumeInfo v = create(leader, "v1");
    ExtentInfo e = leader.extents().allocate(AllocateExtentRequest.newBuilder().setVid(v.getVid()).setIndex(2)
        .build()).join();
    MetaTestSupport.awaitGraceOver(leader);
    ExtentInfo leased = MetaTestSupport.lease(leader, e.getPid(), MetaTestSupport.openSession(leader,
        e.getReplicas(0)));

    BasaltException refused = failure(follower.volumes().list());
    assertThat(refused).isInstanceOf(NotLeaderException.class);
    assertThat(refused.code()).isEqualTo(ErrorCode.NOT_LEADER);
    assertThat(refused.retryable()).isTrue();
    assertThat(failure(follower.volumes().create(CreateVolumeRequest.newBuilder().setName("x")
        .setSizeBytes(MIB).build())).code()).isEqualTo(ErrorCode.NOT_LEADER);
    await().atMost(Duration.ofSeconds(10)).until(() ->
        ((NotLeaderException) failure(follower.volumes().list())).leaderAddress().equals(leader.id()));

    leader.close();
    MetaCore next = awaitActive(follower);
    VolumeInfo seen = next.volumes().get("v1").join();
    assertThat(seen.getVid()).isEqualTo(v.getVid());
    assertThat(seen.getAllocatedExtents()).isEqualTo(1);
    ExtentInfo reloaded = next.volumes().getExtents(GetExtentsRequest.newBuilder().setVolume("v1").build()).join()
        .getExtents(0);
    assertThat(reloaded.getPid()).isEqualTo(e.getPid());
    assertThat(reloaded.getReplicasList()).isEqualTo(e.getReplicasList());
    assertThat(reloaded.getEpoch()).isEqualTo(leased.getEpoch());
    assertThat(reloaded.getOwnerCid()).as("lease owner is soft state").isZero();
    assertThat(next.chunks().listChunks().join().getChunksList()).hasSize(3)
        .allSatisfy(c -> assertThat(c.getLastSeenMs()).isEqualTo(-1));
    // chunks not heard from since this leader started are not eligible for placement: in its grace that is
    // "not ready yet" (retryable), not NO_SPACE
    BasaltException notYet = failure(next.extents().allocate(AllocateExtentRequest.newBuilder().setVid(v.getVid())
        .setIndex(3).build()));
    assertThat(notYet.code()).isEqualTo(ErrorCode.NOT_READY);
    assertThat(notYet.retryable()).isTrue();
    // ids continue: no reuse of vid/pid/cid after failover
    assertThat(create(next, "v2").getVid()).isEqualTo(v.getVid() + 1);
    assertThat(registerChunks(next, 1)[0]).isEqualTo(4);
  }

  @Test
  void aLeaderFencedByANewerEpochStepsDownAndReloads() throws Exception {
    startZk();
    MetaCore a = awaitActive(core("127.0.0.1:7001"));
    create(a, "v1");
    long epoch = a.metaState().epoch();

    // someone else claims the epoch behind the leader's back (e.g. a deposed leader's successor)
    try (CuratorFramework other = CuratorFrameworkFactory.newClient(zk.getConnectionString(), 5000, 3000,
        new RetryOneTime(50))) {
      other.start();
      other.blockUntilConnected();
      new ZkMetaStore(other, new ZkPaths("test")).claimLeadership();
    }
    BasaltException fenced = failure(a.volumes().create(CreateVolumeRequest.newBuilder().setName("v2")
        .setSizeBytes(MIB).build()));
    assertThat(fenced.code()).isEqualTo(ErrorCode.NOT_LEADER);
    assertThat(a.curator().checkExists().forPath(new ZkPaths("test").volume(2))).isNull();

    // it rejoins the election, wins again with a newer epoch and reloads
    awaitActive(a);
    assertThat(a.metaState().epoch()).isGreaterThan(epoch + 1);
    assertThat(a.volumes().get("v1").join().getVid()).isEqualTo(1);
    assertThat(create(a, "v2").getVid()).isEqualTo(2);
  }

  @Test
  void suspendedLeaderAnswersNotReadyAndResumes() {
    startZk();
    MetaCore a = awaitActive(core("127.0.0.1:7001"));
    create(a, "v1");
    int port = zk.port();
    zk.close();
    await().atMost(Duration.ofSeconds(20)).until(() -> a.state() == LeadershipState.SUSPENDED);
    BasaltException notReady = failure(a.volumes().list());
    assertThat(notReady.code()).isEqualTo(ErrorCode.NOT_READY);
    assertThat(notReady.retryable()).isTrue();
    assertThat(failure(a.volumes().create(CreateVolumeRequest.newBuilder().setName("v2").setSizeBytes(MIB)
        .build())).code()).isEqualTo(ErrorCode.NOT_READY);

    zk = EmbeddedZooKeeper.start(dir, "127.0.0.1", port);
    awaitActive(a);
    assertThat(a.volumes().get("v1").join().getVid()).isEqualTo(1);
    assertThat(create(a, "v2").getVid()).isEqualTo(2);
  }

  @Test
  void lostSessionStepsDownAndReelectsWithANewEpoch() {
    startZk();
    MetaCore a = awaitActive(core("127.0.0.1:7001"));
    create(a, "v1");
    long epoch = a.metaState().epoch();
    int port = zk.port();
    zk.close();
    await().atMost(Duration.ofSeconds(20)).until(() -> a.state() == LeadershipState.SUSPENDED);
    // the session timeout (6 s) passes while disconnected: Curator reports LOST and the leader stops at once
    await().atMost(Duration.ofSeconds(30)).until(() -> a.state() == LeadershipState.FOLLOWER);
    assertThat(failure(a.volumes().list()).code()).isEqualTo(ErrorCode.NOT_LEADER);

    zk = EmbeddedZooKeeper.start(dir, "127.0.0.1", port);
    awaitActive(a);
    assertThat(a.metaState().epoch()).isGreaterThan(epoch);
    assertThat(a.volumes().get("v1").join().getVid()).isEqualTo(1);
  }
}
