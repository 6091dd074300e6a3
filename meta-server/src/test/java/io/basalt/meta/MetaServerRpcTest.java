package io.basalt.meta;

import static io.basalt.meta.MetaTestSupport.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import io.basalt.meta.zk.EmbeddedZooKeeper;
import io.basalt.proto.AcquireLeaseRequest;
import io.basalt.proto.AllocateExtentRequest;
import io.basalt.proto.KeepAliveRequest;
import io.basalt.proto.CreateVolumeRequest;
import io.basalt.proto.DeleteVolumeRequest;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.GetExtentRequest;
import io.basalt.proto.GetExtentsRequest;
import io.basalt.proto.GetVolumeRequest;
import io.basalt.proto.ListChunksRequest;
import io.basalt.proto.ListRecoveriesRequest;
import io.basalt.proto.ListVolumesRequest;
import io.basalt.proto.RecoveryDoneRequest;
import io.basalt.proto.RegisterChunkRequest;
import io.basalt.proto.ReplicaFailedRequest;
import io.basalt.proto.ReplicaQuarantinedRequest;
import io.basalt.proto.ReportReplicasRequest;
import io.basalt.proto.ResizeVolumeRequest;
import io.basalt.proto.SetRecoveryThrottleRequest;
import io.basalt.proto.VolumeInfo;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.NotLeaderException;
import io.basalt.rpc.RpcClientFactory;
import io.basalt.rpc.StaleEpochException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Two meta servers over real RPC: every handler, NOT_LEADER redirects, failover. */
@Timeout(120)
class MetaServerRpcTest {
  static final long MIB = 1L << 20;
  static final Duration DEADLINE = Duration.ofSeconds(10);
  @TempDir
  Path dir;
  EmbeddedZooKeeper zk;
  MetaServer a;
  MetaServer b;
  RpcClientFactory clients;

  @BeforeEach
  void start() {
    zk = EmbeddedZooKeeper.start(dir);
    MetaConfig cfg = config(zk.getConnectionString());
    a = MetaServer.start(cfg);
    b = MetaServer.start(cfg);
    clients = new RpcClientFactory("test", new MetricRegistry());
  }

  @AfterEach
  void stop() {
    clients.close();
    a.close();
    b.close();
    zk.close();
  }

  Envelope call(MetaServer server, Envelope.Builder request) {
    return clients.client(server.address()).call(request, DEADLINE).join();
  }

  BasaltException fails(MetaServer server, Envelope.Builder request) {
    try {
      Envelope e = call(server, request);
      throw new AssertionError("expected an error, got " + e);
    } catch (CompletionException e) {
      return BasaltException.of(e);
    }
  }

  MetaServer leader() {
    await().atMost(Duration.ofSeconds(20)).until(() -> a.isActiveLeader() ^ b.isActiveLeader());
    return a.isActiveLeader() ? a : b;
  }

  @Test
  void servesEveryMetaCallAndRedirectsFromTheFollower() {
    MetaServer leader = leader();
    MetaServer follower = leader == a ? b : a;
    for (int i = 1; i <= 3; i++) {
      int cid = call(leader, Envelope.newBuilder().setRegisterChunk(RegisterChunkRequest.newBuilder()
          .setAddress("127.0.0.1:" + (9000 + i)).setZone("z" + i))).getRegisterChunkResponse().getCid();
      assertThat(cid).isEqualTo(i);
      call(leader, Envelope.newBuilder().setKeepAlive(KeepAliveRequest.newBuilder().setCid(cid)
          .setUsedBytes(10)));
    }
    assertThat(call(leader, Envelope.newBuilder().setListChunks(ListChunksRequest.getDefaultInstance()))
        .getListChunksResponse().getChunksCount()).isEqualTo(3);

    VolumeInfo v = call(leader, Envelope.newBuilder().setCreateVolume(CreateVolumeRequest.newBuilder()
        .setName("v1").setSizeBytes(4 * MIB).setExtentSize(MIB))).getVolumeResponse().getVolume();
    assertThat(v.getReplicas()).isEqualTo(3);
    BasaltException invalid = fails(leader, Envelope.newBuilder().setCreateVolume(CreateVolumeRequest.newBuilder()
        .setName("v2").setSizeBytes(4097)));
    assertThat(invalid.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(invalid.getMessage()).contains("size_bytes=4097");
    assertThat(call(leader, Envelope.newBuilder().setGetVolume(GetVolumeRequest.newBuilder().setName("v1")))
        .getVolumeResponse().getVolume()).isEqualTo(v);
    assertThat(call(leader, Envelope.newBuilder().setResizeVolume(ResizeVolumeRequest.newBuilder().setName("v1")
        .setSizeBytes(8 * MIB))).getVolumeResponse().getVolume().getSizeBytes()).isEqualTo(8 * MIB);

    ExtentInfo e = call(leader, Envelope.newBuilder().setAllocateExtent(AllocateExtentRequest.newBuilder()
        .setVid(v.getVid()).setIndex(6))).getExtentResponse().getExtent();
    assertThat(e.getReplicaAddressesCount()).isEqualTo(3);
    ExtentInfo leased = Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
      try {
        var session = call(leader, Envelope.newBuilder().setKeepAlive(KeepAliveRequest.newBuilder()
            .setCid(e.getReplicas(1)))).getKeepAliveResponse();
        return call(leader, Envelope.newBuilder().setAcquireLease(AcquireLeaseRequest.newBuilder()
            .setPid(e.getPid()).setCid(e.getReplicas(1)).setSessionUuid(session.getSessionUuid())
            .setSessionEpoch(session.getSessionEpoch()))).getExtentResponse().getExtent();
      } catch (RuntimeException notYet) {
        return null; // NOT_READY during the new leader's grace
      }
    }, Objects::nonNull);
    assertThat(leased.getOwnerCid()).isEqualTo(e.getReplicas(1));
    assertThat(call(leader, Envelope.newBuilder().setGetExtent(GetExtentRequest.newBuilder().setPid(e.getPid())))
        .getExtentResponse().getExtent()).isEqualTo(leased);
    assertThat(call(leader, Envelope.newBuilder().setGetExtents(GetExtentsRequest.newBuilder().setVolume("v1")))
        .getGetExtentsResponse().getExtentsList()).containsExactly(leased);

    // recovery calls: errors carry their codes and the current epoch; list and throttle answer
    BasaltException staleReport = fails(leader, Envelope.newBuilder().setReplicaFailed(
        ReplicaFailedRequest.newBuilder().setPid(e.getPid()).setEpoch(leased.getEpoch() - 1)
            .setOwnerCid(leased.getOwnerCid()).setOwnerSession(leased.getOwnerSession())
            .setFailedCid(e.getReplicas(2))));
    assertThat(((StaleEpochException) staleReport).currentEpoch()).isEqualTo(leased.getEpoch());
    BasaltException noSession = fails(leader, Envelope.newBuilder().setReplicaQuarantined(
        ReplicaQuarantinedRequest.newBuilder().setPid(e.getPid()).setCid(e.getReplicas(2))
            .setSessionUuid("no-such-session").setSessionEpoch(1).setEpoch(leased.getEpoch())));
    assertThat(noSession.code()).isEqualTo(ErrorCode.NO_SESSION);
    assertThat(noSession.retryable()).isTrue();
    BasaltException staleDone = fails(leader, Envelope.newBuilder().setRecoveryDone(
        RecoveryDoneRequest.newBuilder().setPid(e.getPid()).setRecoveryEpoch(1).setCid(99)));
    assertThat(staleDone.code()).isEqualTo(ErrorCode.STALE_EPOCH);
    assertThat(call(leader, Envelope.newBuilder().setRecoveryDone(RecoveryDoneRequest.newBuilder()
        .setPid(e.getPid()).setRecoveryEpoch(1).setCid(e.getReplicas(2)))).getExtentResponse().getExtent())
        .as("a member at a later epoch: idempotent answer").isEqualTo(leased);
    assertThat(call(leader, Envelope.newBuilder().setListRecoveries(
        ListRecoveriesRequest.getDefaultInstance())).getListRecoveriesResponse().getThrottle()
        .getPerChunk()).isEqualTo(4);
    assertThat(call(leader, Envelope.newBuilder().setSetRecoveryThrottle(
        SetRecoveryThrottleRequest.newBuilder().setPerChunk(2))).getSetRecoveryThrottleResponse()
        .getThrottle().getPerChunk()).isEqualTo(2);
    assertThat(fails(leader, Envelope.newBuilder().setSetRecoveryThrottle(
        SetRecoveryThrottleRequest.newBuilder().setBytesPerSec(1))).code())
        .isEqualTo(ErrorCode.INVALID_ARGUMENT);

    NotLeaderException redirect = (NotLeaderException) fails(follower,
        Envelope.newBuilder().setListVolumes(ListVolumesRequest.getDefaultInstance()));
    assertThat(redirect.retryable()).isTrue();
    await().atMost(Duration.ofSeconds(10)).until(() -> ((NotLeaderException) fails(follower,
        Envelope.newBuilder().setListVolumes(ListVolumesRequest.getDefaultInstance()))).leaderAddress()
        .equals(leader.address()));

    call(leader, Envelope.newBuilder().setDeleteVolume(DeleteVolumeRequest.newBuilder().setName("v1")));
    assertThat(call(leader, Envelope.newBuilder().setReportReplicas(ReportReplicasRequest.newBuilder().setCid(1)
        .addPids(e.getPid()))).getReportReplicasResponse().getDeletedPidsList()).containsExactly(e.getPid());
    assertThat(fails(leader, Envelope.newBuilder().setGetVolume(GetVolumeRequest.newBuilder().setName("v1")))
        .code()).isEqualTo(ErrorCode.NO_SUCH_VOLUME);
  }

  @Test
  void followerTakesOverWhenTheLeaderCloses() {
    MetaServer leader = leader();
    MetaServer follower = leader == a ? b : a;
    call(leader, Envelope.newBuilder().setCreateVolume(CreateVolumeRequest.newBuilder().setName("v1")
        .setSizeBytes(4 * MIB)));
    leader.close();
    await().atMost(Duration.ofSeconds(20)).until(follower::isActiveLeader);
    assertThat(call(follower, Envelope.newBuilder().setListVolumes(ListVolumesRequest.getDefaultInstance()))
        .getListVolumesResponse().getVolumesList()).extracting(VolumeInfo::getName).containsExactly("v1");
  }

  @Test
  void everyReplyCarriesTheEpochItsServerLeadsUnder() {
    MetaServer leader = leader();
    MetaServer follower = leader == a ? b : a;
    long epoch = leader.core().metaState().epoch();
    assertThat(epoch).isPositive();
    assertThat(call(leader, Envelope.newBuilder().setListVolumes(ListVolumesRequest.getDefaultInstance()))
        .getMetaEpoch()).isEqualTo(epoch);
    assertThat(fails(leader, Envelope.newBuilder().setGetVolume(GetVolumeRequest.newBuilder().setName("none")))
        .metaEpoch()).isEqualTo(epoch);
    BasaltException notLeader = fails(follower, Envelope.newBuilder()
        .setListVolumes(ListVolumesRequest.getDefaultInstance()));
    assertThat(notLeader).isInstanceOf(NotLeaderException.class);
    assertThat(notLeader.metaEpoch()).isZero();

    leader.close();
    await().atMost(Duration.ofSeconds(20)).until(follower::isActiveLeader);
    assertThat(call(follower, Envelope.newBuilder().setListVolumes(ListVolumesRequest.getDefaultInstance()))
        .getMetaEpoch()).isGreaterThan(epoch);
  }
}
