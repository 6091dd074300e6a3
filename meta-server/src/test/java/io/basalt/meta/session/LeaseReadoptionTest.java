package io.basalt.meta.session;

import static io.basalt.meta.MetaTestSupport.awaitActive;
import static io.basalt.meta.MetaTestSupport.config;
import static io.basalt.meta.MetaTestSupport.registerChunks;
import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import io.basalt.meta.MetaCore;
import io.basalt.meta.MetaTestSupport.TestSession;
import io.basalt.meta.MetaTestSupport;
import io.basalt.meta.store.MutationBatch;
import io.basalt.meta.store.ZkMetaStore;
import io.basalt.meta.store.ZkPaths;
import io.basalt.meta.zk.EmbeddedZooKeeper;
import io.basalt.proto.AcquireLeaseRequest;
import io.basalt.proto.AllocateExtentRequest;
import io.basalt.proto.ChunkStatus;
import io.basalt.proto.CreateVolumeRequest;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.HeldLease;
import io.basalt.proto.KeepAliveRequest;
import io.basalt.proto.KeepAliveResponse;
import io.basalt.proto.SessionGroup;
import io.basalt.proto.VolumeInfo;
import io.basalt.rpc.BasaltException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new meta leader re-adopts the leases its chunks report during its grace (DESIGN.md "Meta leadership and
 * failover"), including those of the chunk whose keepalive ends the grace (it is the last to report in), and
 * including a lease the chunk is still installing: the previous leader granted it, so nobody else may get it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LeaseReadoptionTest {
  private static final long MIB = 1L << 20;

  @TempDir
  Path dir;
  private EmbeddedZooKeeper zk;
  private MetaCore core;

  @BeforeEach
  void start() {
    zk = EmbeddedZooKeeper.start(dir);
    core = awaitActive(MetaCore.start(config(zk.getConnectionString()), "127.0.0.1:7001", new MetricRegistry()));
  }

  @AfterEach
  void stop() {
    core.close();
    zk.close();
  }

  /** Three registered chunks with live sessions (index = cid), the first leader's grace over. */
  private TestSession[] threeChunksWithSessions() {
    registerChunks(core, 3);
    TestSession[] s = new TestSession[4];
    for (int cid = 1; cid <= 3; cid++) {
      s[cid] = MetaTestSupport.openSession(core, cid);
    }
    MetaTestSupport.awaitGraceOver(core);
    return s;
  }

  /** A 4 MiB volume of 1 MiB extents, 3 replicas. */
  private VolumeInfo volume() {
    return core.volumes().create(CreateVolumeRequest.newBuilder().setName("v").setSizeBytes(4 * MIB)
        .setReplicas(3).setExtentSize(MIB).build()).join();
  }

  @Test
  void theLastChunkToReportInAfterAFailoverKeepsItsLease() {
    TestSession[] s = threeChunksWithSessions();
    var v = volume();
    ExtentInfo e = core.extents().allocate(AllocateExtentRequest.newBuilder().setVid(v.getVid()).setIndex(0)
        .setPreferredCid(1).build()).join();
    int owner = e.getReplicas(0);
    ExtentInfo granted = MetaTestSupport.lease(core, e.getPid(), s[owner]);
    assertThat(granted.getOwnerCid()).isEqualTo(owner);

    // a new leader: it knows no owner until the chunks report in, and the owner reports last
    core.close();
    core = awaitActive(MetaCore.start(config(zk.getConnectionString()), "127.0.0.1:7002", new MetricRegistry()));
    for (int round = 0; round < 2; round++) {
      for (int cid = 1; cid <= 3; cid++) {
        if (cid != owner) {
          assertThat(MetaTestSupport.keepAlive(core, s[cid]).getRevokedPidsCount()).isZero();
        }
      }
    }
    assertThat(core.sessions().status().join().getGraceRemainingMs()).as("the owner has not reported yet")
        .isPositive();
    // its first keepalive to the new leader was sent before the previous leader's grant reached it (a takeover
    // in flight): it names the lease only in the second, which still counts as in the grace
    assertThat(MetaTestSupport.keepAlive(core, s[owner]).getRevokedPidsList()).isEmpty();
    assertThat(core.sessions().status().join().getGraceRemainingMs())
        .as("one keepalive: the owner's answer from this leader may have crossed a grant of the previous one")
        .isPositive();
    assertThat(core.extents().get(e.getPid()).join().getOwnerCid()).isZero();
    KeepAliveResponse last = core.sessions().keepAlive(KeepAliveRequest.newBuilder().setGroup(SessionGroup.CHUNK)
        .setCid(owner).setSessionUuid(s[owner].uuid()).setSessionEpoch(s[owner].epoch())
        .addLeases(HeldLease.newBuilder().setPid(e.getPid()).setEpoch(granted.getEpoch())).build()).join();

    assertThat(last.getRevokedPidsList()).as("the lease reported by the last chunk of the grace").isEmpty();
    assertThat(core.sessions().status().join().getGraceRemainingMs()).as("every chunk reported").isZero();
    ExtentInfo now = core.extents().get(e.getPid()).join();
    assertThat(now.getOwnerCid()).isEqualTo(owner);
    assertThat(now.getEpoch()).isEqualTo(granted.getEpoch());
  }

  /**
   * A new leader has heard from no chunk yet, so none is live for placement: an allocation in its grace is a
   * retryable NOT_READY (clients retry until the chunks reported), never NO_SPACE; once they reported it succeeds.
   */
  @Test
  void anAllocationInTheGraceIsNotReadyNotNoSpace() {
    TestSession[] s = threeChunksWithSessions();
    var v = volume();
    core.close();
    core = awaitActive(MetaCore.start(config(zk.getConnectionString()), "127.0.0.1:7002", new MetricRegistry()));

    BasaltException refused = MetaTestSupport.failure(core.extents().allocate(
        AllocateExtentRequest.newBuilder().setVid(v.getVid()).setIndex(0).build()));
    assertThat(refused.code()).isEqualTo(ErrorCode.NOT_READY);
    assertThat(refused.retryable()).isTrue();

    for (int round = 0; round < 2; round++) {
      for (int cid = 1; cid <= 3; cid++) {
        MetaTestSupport.keepAlive(core, s[cid]);
      }
    }
    assertThat(core.sessions().status().join().getGraceRemainingMs()).isZero();
    assertThat(core.extents().allocate(AllocateExtentRequest.newBuilder().setVid(v.getVid()).setIndex(0).build())
        .join().getReplicasCount()).isEqualTo(3);
  }

  /**
   * The owner was SESSION_EXPIRED on disk when the new leader loaded (it came back just before the failover, its
   * return not yet written): the grace waits for it too, so its lease is neither expired nor granted to another
   * replica, and it re-adopts the lease when it reports.
   */
  @Test
  void aChunkNotHealthyAtLoadHoldsTheGraceAndKeepsItsLease() throws Exception {
    TestSession[] s = threeChunksWithSessions();
    var v = volume();
    ExtentInfo e = core.extents().allocate(AllocateExtentRequest.newBuilder().setVid(v.getVid()).setIndex(0)
        .setPreferredCid(1).build()).join();
    int owner = e.getReplicas(0);
    int other = e.getReplicas(1);
    ExtentInfo granted = MetaTestSupport.lease(core, e.getPid(), s[owner]);
    core.close();
    markExpired(owner);

    core = awaitActive(MetaCore.start(config(zk.getConnectionString()), "127.0.0.1:7002", new MetricRegistry()));
    for (int round = 0; round < 2; round++) {
      for (int cid = 1; cid <= 3; cid++) {
        if (cid != owner) {
          MetaTestSupport.keepAlive(core, s[cid]);
        }
      }
    }
    assertThat(core.sessions().status().join().getGraceRemainingMs())
        .as("the owner was SESSION_EXPIRED at load but may hold a lease").isPositive();
    BasaltException refused = MetaTestSupport.failure(core.extents().acquireLease(
        AcquireLeaseRequest.newBuilder().setPid(e.getPid()).setCid(other)
            .setSessionUuid(s[other].uuid()).setSessionEpoch(s[other].epoch()).build()));
    assertThat(refused.code()).isEqualTo(ErrorCode.NOT_READY);

    for (int round = 0; round < 2; round++) {
      KeepAliveResponse r = core.sessions().keepAlive(KeepAliveRequest.newBuilder().setGroup(SessionGroup.CHUNK)
          .setCid(owner).setSessionUuid(s[owner].uuid()).setSessionEpoch(s[owner].epoch())
          .addLeases(HeldLease.newBuilder().setPid(e.getPid()).setEpoch(granted.getEpoch())).build()).join();
      assertThat(r.getRevokedPidsList()).isEmpty();
    }
    assertThat(core.sessions().status().join().getGraceRemainingMs()).isZero();
    assertThat(core.extents().get(e.getPid()).join().getOwnerCid()).isEqualTo(owner);
    assertThat(MetaTestSupport.lease(core, e.getPid(), s[other]).getOwnerCid()).as("no conflicting grant")
        .isEqualTo(owner);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
        core.chunks().listChunks().join().getChunksList().stream().filter(c -> c.getCid() == owner)
            .allMatch(c -> c.getStatus() == ChunkStatus.HEALTHY));
  }

  /** Writes chunk {@code cid} as SESSION_EXPIRED, as a leader that removed its replicas would have. */
  private void markExpired(int cid) throws Exception {
    try (CuratorFramework client = CuratorFrameworkFactory
        .newClient(zk.getConnectionString(), 5000, 3000, new RetryOneTime(50))) {
      client.start();
      client.blockUntilConnected();
      var store = new ZkMetaStore(client, new ZkPaths("test"));
      store.claimLeadership();
      var record = store.load().chunks().stream().filter(c -> c.getCid() == cid).findFirst().orElseThrow();
      store.commit(new MutationBatch().putChunk(record.toBuilder()
          .setStatus(ChunkStatus.SESSION_EXPIRED).build())).join();
    }
  }
}
