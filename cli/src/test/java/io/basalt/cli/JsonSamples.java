package io.basalt.cli;

import io.basalt.cli.ExtentCommand.ReplicaView;
import io.basalt.cli.status.Membership;
import io.basalt.proto.ChunkInfo;
import io.basalt.proto.ChunkStatus;
import io.basalt.proto.ClusterStatusResponse;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.ListRecoveriesResponse;
import io.basalt.proto.QuarantineReport;
import io.basalt.proto.RecoveryInfo;
import io.basalt.proto.RecoveryThrottle;
import io.basalt.proto.ReplicaState;
import io.basalt.proto.SessionGroup;
import io.basalt.proto.SessionInfo;
import io.basalt.proto.SessionState;
import io.basalt.proto.VolumeInfo;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The values each command family prints with {@code --json}, built from responses made here: one entry per
 * family, with nulls, negative and large numbers, empty lists and strings that need escaping.
 */
final class JsonSamples {
  private JsonSamples() {}

  static final String ODD = "q\"b\\s/t\tn\nc\u0001d\u007f l\u2028 é 日 \uD83D\uDE00";

  static Object sessionLs() {
    return List.of(
        SessionInfo.newBuilder().setUuid("c-1").setEpoch(6).setGroup(SessionGroup.CLIENT).setName("nbd")
            .setLeaseRemainingMs(850).setState(SessionState.SESSION_ALIVE).build(),
        SessionInfo.newBuilder().setUuid("a-1").setEpoch(Long.MAX_VALUE).setGroup(SessionGroup.CHUNK).setCid(1)
            .setName(ODD).setLeases(3).setLeaseRemainingMs(610).setState(SessionState.SESSION_ALIVE).build(),
        SessionInfo.newBuilder().setUuid("e-3").setEpoch(4).setGroup(SessionGroup.CHUNK).setCid(3)
            .setLeaseRemainingMs(-3_180).setState(SessionState.SESSION_GONE).setEndReason("EXPIRED")
            .setEndedAgoMs(3_180).build(),
        SessionInfo.newBuilder().setUuid("u-9").setGroupValue(9).setState(SessionState.SESSION_STATE_UNSPECIFIED)
            .build())
        .stream().map(SessionCommand::toJson).toList();
  }

  static ClusterStatusResponse status() {
    return ClusterStatusResponse.newBuilder().setLeader("127.0.0.1:7000").setMetaEpoch(3).setJeopardy(true)
        .setJeopardyReason("5 of 6 sessions expired within 2s").setJeopardyForMs(4_200).setHeldExpiries(5)
        .setChunks(6).setChunksHealthy(1).setSessionsAlive(2).setExtents(12).setExtentsDegraded(4)
        .setExtentsRecovering(1).setGraceRemainingMs(1_400).setPausesCompensated(1).build();
  }

  static Membership members() {
    return new Membership("127.0.0.1:7000", List.of(
        new Membership.Meta("127.0.0.1:7000", "leader", 3L, "127.0.0.1:7000"),
        new Membership.Meta("127.0.0.1:7001", "follower", 0L, ""),
        Membership.Meta.unreachable("127.0.0.1:7002")),
        List.of(new Membership.Member("127.0.0.1:2181", "follower"),
            new Membership.Member("127.0.0.1:2183", "unreachable")));
  }

  static Object clusterStatus() {
    return ClusterGroupCommand.toJson(status(), members());
  }

  static Object clusterStatusWithoutLeader() {
    return ClusterGroupCommand.toJson(null, new Membership(null, List.of(), List.of()));
  }

  static Object clusterStatusOfDefaults() {
    return ClusterGroupCommand.toJson(ClusterStatusResponse.getDefaultInstance(), members());
  }

  static Object confirmExpiry() {
    return List.of(ClusterGroupCommand.confirmJson(false, null), ClusterGroupCommand.confirmJson(true, 2));
  }

  static final RecoveryThrottle THROTTLE = RecoveryThrottle.newBuilder().setBytesPerSec(200L << 20).setPerChunk(4)
      .build();

  static Object recoveryLs() {
    return RecoveryCommand.toJson(ListRecoveriesResponse.newBuilder().setThrottle(THROTTLE).setDegraded(3)
        .setRecovering(1)
        .addRecoveries(RecoveryInfo.newBuilder().setPid(7).setVid(1).setVolume("v1").setIndex(2).setSourceCid(1)
            .setTargetCid(4).setBytesDone(1L << 19).setBytesTotal(1L << 20).setBytesPerSec(256 * 1024)
            .setEtaMs(2000).setState("copying").setLiveReplicas(2).setExpectedReplicas(3).setRunningMs(1500))
        .addRecoveries(RecoveryInfo.newBuilder().setPid(9).setVid(1).setIndex(5).setSourceCid(2)
            .setBytesTotal(1L << 20).setEtaMs(-1).setState("queued").setLiveReplicas(1).setExpectedReplicas(3)
            .setRunningMs(-1))
        .build());
  }

  static Object recoveryLsEmpty() {
    return RecoveryCommand.toJson(ListRecoveriesResponse.getDefaultInstance());
  }

  static Object recoveryThrottle() {
    return RecoveryCommand.toJson(THROTTLE);
  }

  static Object volumeLs() {
    return List.of(
        VolumeCommand.toJson(VolumeInfo.newBuilder().setVid(1).setName("demo").setSizeBytes(10L << 30)
            .setReplicas(3).setExtentSize(256L << 20).setAllocatedExtents(7).setCreatedMs(1_764_000_000_000L)
            .build()),
        VolumeCommand.toJson(VolumeInfo.newBuilder().setName(ODD).build()));
  }

  static Object volumeRm() {
    return Map.of("deleted", "demo");
  }

  static Object chunkLs() {
    return List.of(
        ChunkCommand.toJson(ChunkInfo.newBuilder().setCid(1).setAddress("127.0.0.1:7101").setZone("z1")
            .setStatus(ChunkStatus.HEALTHY).setCapacityBytes(1L << 40).setUsedBytes(5L << 30).setReplicaCount(12)
            .setAdminAddress("127.0.0.1:9101").setLastSeenMs(250).setFull(true).build()),
        ChunkCommand.toJson(ChunkInfo.newBuilder().setCid(2).setAddress("127.0.0.1:7102").setStatusValue(42)
            .setLastSeenMs(-1).build()),
        ChunkCommand.toJson(ChunkInfo.newBuilder().setCid(3).setAddress("127.0.0.1:7103").build()));
  }

  static Object extentShow() {
    Map<Integer, CompletableFuture<ReplicaView>> views = new LinkedHashMap<>();
    views.put(1, CompletableFuture.completedFuture(new ReplicaView(42L, ReplicaState.ACTIVE, null)));
    views.put(2, CompletableFuture.completedFuture(new ReplicaView(null, null, null)));
    views.put(3, CompletableFuture.completedFuture(ReplicaView.failed("127.0.0.1:7103: UNAVAILABLE")));
    ExtentInfo owned = ExtentInfo.newBuilder().setIndex(0).setPid(1L << 40).addReplicas(1).addReplicas(2)
        .addReplicas(3).setEpoch(5).setOwnerCid(1).setOwnerSession(77).build();
    ExtentInfo bare = ExtentInfo.newBuilder().setIndex(1).setPid(8).build();
    return List.of(ExtentCommand.toJson(owned, views), ExtentCommand.toJson(bare, Map.of()));
  }

  static Object quarantineLs() {
    QuarantineReport full = QuarantineReport.newBuilder().setPid(1L << 40).setCid(1).setReason(ODD)
        .addBlocks(0).addBlocks(Long.MAX_VALUE).setEvidence("/var/lib/basalt/sdb/quarantine/pid-1099511627776-"
            + "1764000000000").setEpoch(5).setGen(42).setQuarantinedAtMs(1_764_000_000_250L).build();
    QuarantineReport incomplete = QuarantineReport.newBuilder().setPid(8)
        .setReason("incomplete evidence (no readable report)").setEvidence("/d/quarantine/pid-8-1").build();
    return List.of(QuarantineCommand.toJson(new QuarantineCommand.Entry(1, full)),
        QuarantineCommand.toJson(new QuarantineCommand.Entry(3, incomplete)));
  }

  /** Every sample by name, in a fixed order. */
  static Map<String, Object> all() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("session-ls", sessionLs());
    m.put("cluster-status", clusterStatus());
    m.put("cluster-status-no-leader", clusterStatusWithoutLeader());
    m.put("cluster-status-defaults", clusterStatusOfDefaults());
    m.put("cluster-confirm-expiry", confirmExpiry());
    m.put("recovery-ls", recoveryLs());
    m.put("recovery-ls-empty", recoveryLsEmpty());
    m.put("recovery-throttle", recoveryThrottle());
    m.put("volume-ls", volumeLs());
    m.put("volume-rm", volumeRm());
    m.put("chunk-ls", chunkLs());
    m.put("extent-show", extentShow());
    m.put("quarantine-ls", quarantineLs());
    return m;
  }
}
