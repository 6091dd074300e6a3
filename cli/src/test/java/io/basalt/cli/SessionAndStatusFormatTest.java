package io.basalt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.cli.output.DurationFormat;
import io.basalt.cli.output.JsonOutput;
import io.basalt.cli.status.Membership;
import io.basalt.proto.ClusterStatusResponse;
import io.basalt.proto.SessionGroup;
import io.basalt.proto.SessionInfo;
import io.basalt.proto.SessionState;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The exact text of {@code session ls} and {@code cluster status}, from responses built here. */
class SessionAndStatusFormatTest {
  static SessionInfo alive(String uuid, long epoch, int cid, String name, int leases, long remainingMs) {
    return SessionInfo.newBuilder().setUuid(uuid).setEpoch(epoch).setGroup(SessionGroup.CHUNK).setCid(cid)
        .setName(name).setLeases(leases).setLeaseRemainingMs(remainingMs).setState(SessionState.SESSION_ALIVE)
        .build();
  }

  static SessionInfo gone(String uuid, long epoch, int cid, String reason, long remainingMs, long agoMs) {
    return SessionInfo.newBuilder().setUuid(uuid).setEpoch(epoch).setGroup(SessionGroup.CHUNK).setCid(cid)
        .setName("127.0.0.1:710" + cid).setLeaseRemainingMs(remainingMs).setState(SessionState.SESSION_GONE)
        .setEndReason(reason).setEndedAgoMs(agoMs).build();
  }

  final List<SessionInfo> sample = List.of(
      gone("e-3", 4, 3, "expired", -3_180, 3_180),
      alive("a-2", 7, 2, "127.0.0.1:7102", 12, 9_240),
      SessionInfo.newBuilder().setUuid("c-1").setEpoch(6).setGroup(SessionGroup.CLIENT).setName("nbd")
          .setLeaseRemainingMs(850).setState(SessionState.SESSION_ALIVE).build(),
      gone("s-2", 2, 2, "superseded", 4_100, 850),
      alive("a-1", 5, 1, "127.0.0.1:7101", 3, 610),
      gone("e-2", 3, 2, "expired", -61_000, 65_500));

  @Test
  void sessionLsSortsLiveFirstThenByCidAndNewestEpoch() {
    assertThat(SessionCommand.sorted(sample)).extracting(SessionInfo::getUuid)
        .containsExactly("c-1", "a-1", "a-2", "e-2", "s-2", "e-3");
  }

  @Test
  void sessionLsTable() {
    assertThat(SessionCommand.table(SessionCommand.sorted(sample))).isEqualTo(
        "UUID  EPOCH  GROUP   CID  NAME            LEASES  LEASE_REMAINING  STATE\n"
            + "c-1   6      client  -    nbd             0       850ms            alive\n"
            + "a-1   5      chunk   1    127.0.0.1:7101  3       610ms            alive\n"
            + "a-2   7      chunk   2    127.0.0.1:7102  12      9.2s             alive\n"
            + "e-2   3      chunk   2    127.0.0.1:7102  0       expired          expired 1m05s ago\n"
            + "s-2   2      chunk   2    127.0.0.1:7102  0       -                superseded 850ms ago\n"
            + "e-3   4      chunk   3    127.0.0.1:7103  0       expired          expired 3.2s ago\n");
    assertThat(SessionCommand.table(List.of())).isEqualTo(
        "UUID  EPOCH  GROUP  CID  NAME  LEASES  LEASE_REMAINING  STATE\n");
  }

  @Test
  void sessionLsJsonKeepsRawNumbers() {
    assertThat(JsonOutput.compact(SessionCommand.toJson(sample.get(0)))).isEqualTo(
        "{\"uuid\":\"e-3\",\"epoch\":4,\"group\":\"chunk\",\"cid\":3,\"name\":\"127.0.0.1:7103\",\"leases\":0,"
            + "\"lease_remaining_ms\":-3180,\"state\":\"expired\",\"ended_ago_ms\":3180}");
    assertThat(JsonOutput.compact(SessionCommand.toJson(sample.get(2)))).isEqualTo(
        "{\"uuid\":\"c-1\",\"epoch\":6,\"group\":\"client\",\"cid\":null,\"name\":\"nbd\",\"leases\":0,"
            + "\"lease_remaining_ms\":850,\"state\":\"alive\",\"ended_ago_ms\":null}");
  }

  static ClusterStatusResponse.Builder healthy() {
    return ClusterStatusResponse.newBuilder().setLeader("127.0.0.1:7000").setMetaEpoch(3).setChunks(3)
        .setChunksHealthy(3).setSessionsAlive(4).setExtents(12).setPausesCompensated(1);
  }

  @Test
  void clusterStatusOfAHealthyCluster() {
    assertThat(ClusterGroupCommand.render(healthy().setGraceRemainingMs(1_400).build())).isEqualTo(
        "leader:              127.0.0.1:7000\n"
            + "meta epoch:          3\n"
            + "jeopardy:            no\n"
            + "chunks healthy:      3/3\n"
            + "sessions alive:      4\n"
            + "extents:             12 (0 degraded, 0 recovering)\n"
            + "grace remaining:     1.4s\n"
            + "pauses compensated:  1\n");
  }

  @Test
  void clusterStatusInJeopardyStartsWithTheLoudLine() {
    ClusterStatusResponse s = healthy().setChunksHealthy(1).setSessionsAlive(2).setExtentsDegraded(0)
        .setJeopardy(true).setJeopardyForMs(4_240).setHeldExpiries(2)
        .setJeopardyReason("2 of 3 chunk sessions expired within one session timeout (10000 ms), above the "
            + "mass-expiry share 0.5")
        .build();
    assertThat(ClusterGroupCommand.render(s)).isEqualTo(
        "JEOPARDY: 2 of 3 chunk sessions expired within one session timeout (10000 ms), above the mass-expiry "
            + "share 0.5; held expiries: 2; run 'basalt cluster confirm-expiry' if those chunks are really gone\n"
            + "leader:              127.0.0.1:7000\n"
            + "meta epoch:          3\n"
            + "jeopardy:            YES for 4.2s (held expiries: 2)\n"
            + "chunks healthy:      1/3\n"
            + "sessions alive:      2\n"
            + "extents:             12 (0 degraded, 0 recovering)\n"
            + "grace remaining:     none\n"
            + "pauses compensated:  1\n");
    assertThat(ClusterGroupCommand.jeopardyLine(s.toBuilder().setJeopardyReason("").build()))
        .startsWith("JEOPARDY: mass session expiry; held expiries: 2;");
  }

  @Test
  void clusterStatusJson() {
    ClusterStatusResponse s = healthy().setJeopardy(true).setJeopardyReason("r").setJeopardyForMs(5)
        .setHeldExpiries(2).setExtentsDegraded(4).setExtentsRecovering(1).build();
    assertThat(JsonOutput.compact(ClusterGroupCommand.toJson(s))).isEqualTo(
        "{\"leader\":\"127.0.0.1:7000\",\"meta_epoch\":3,\"jeopardy\":true,\"jeopardy_reason\":\"r\","
            + "\"jeopardy_for_ms\":5,\"held_expiries\":2,\"chunks\":3,\"chunks_healthy\":3,\"sessions_alive\":4,"
            + "\"extents\":12,\"extents_degraded\":4,\"extents_recovering\":1,\"grace_remaining_ms\":0,"
            + "\"pauses_compensated\":1}");
    assertThat(ClusterGroupCommand.toJson(healthy().build())).containsEntry("jeopardy_reason", null);
  }

  static Membership members() {
    return new Membership("127.0.0.1:7000", List.of(
        new Membership.Meta("127.0.0.1:7000", "leader", 3L, "127.0.0.1:7000"),
        new Membership.Meta("127.0.0.1:7001", "follower", 0L, ""),
        Membership.Meta.unreachable("127.0.0.1:7002")),
        List.of(new Membership.Member("127.0.0.1:2181", "follower"), new Membership.Member("127.0.0.1:2182",
            "leader"), new Membership.Member("127.0.0.1:2183", "unreachable")));
  }

  @Test
  void clusterStatusListsEveryMetaAndZooKeeperMember() {
    assertThat(ClusterGroupCommand.render(healthy().build(), members())).isEqualTo(
        ClusterGroupCommand.render(healthy().build()) + "\n"
            + "META            STATE        EPOCH  SEES_LEADER\n"
            + "127.0.0.1:7000  leader       3      127.0.0.1:7000\n"
            + "127.0.0.1:7001  follower     0      -\n"
            + "127.0.0.1:7002  unreachable  -      -\n"
            + "\n"
            + "ZOOKEEPER       STATE\n"
            + "127.0.0.1:2181  follower\n"
            + "127.0.0.1:2182  leader\n"
            + "127.0.0.1:2183  unreachable\n");
    assertThat(JsonOutput.compact(ClusterGroupCommand.toJson(healthy().build(), members()))).isEqualTo(
        JsonOutput.compact(ClusterGroupCommand.toJson(healthy().build())).replaceFirst("}$", "")
            + ",\"metas\":[{\"address\":\"127.0.0.1:7000\",\"state\":\"leader\",\"meta_epoch\":3,"
            + "\"leader_hint\":\"127.0.0.1:7000\"},{\"address\":\"127.0.0.1:7001\",\"state\":\"follower\","
            + "\"meta_epoch\":0,\"leader_hint\":null},{\"address\":\"127.0.0.1:7002\",\"state\":\"unreachable\","
            + "\"meta_epoch\":null,\"leader_hint\":null}],\"zookeepers\":[{\"address\":\"127.0.0.1:2181\","
            + "\"state\":\"follower\"},{\"address\":\"127.0.0.1:2182\",\"state\":\"leader\"},"
            + "{\"address\":\"127.0.0.1:2183\",\"state\":\"unreachable\"}]}");
  }

  @Test
  void clusterStatusWithoutALeaderShowsThePublishedOneAndTheHighestEpoch() {
    Membership m = new Membership("127.0.0.1:7000", List.of(
        new Membership.Meta("127.0.0.1:7000", "suspended", 4L, "127.0.0.1:7000"),
        new Membership.Meta("127.0.0.1:7001", "follower", 0L, "127.0.0.1:7000")), List.of());
    assertThat(ClusterGroupCommand.render(null, m)).startsWith(
        "leader:      127.0.0.1:7000 (published, did not answer)\n"
            + "meta epoch:  4\n\nMETA ");
    Map<String, Object> json = ClusterGroupCommand.toJson(null, m);
    assertThat(json.keySet()).containsExactlyElementsOf(
        Stream.concat(ClusterGroupCommand.toJson(healthy().build()).keySet().stream(),
            Stream.of("metas", "zookeepers")).toList());
    assertThat(json).containsEntry("leader", "127.0.0.1:7000").containsEntry("meta_epoch", 4L)
        .containsEntry("jeopardy", null).containsEntry("chunks", null);
    assertThat(ClusterGroupCommand.render(null, new Membership(null, List.of(), List.of())))
        .startsWith("leader:      none answered\nmeta epoch:  0\n");
  }

  @Test
  void confirmExpiryMessages() {
    assertThat(ClusterGroupCommand.confirmMessage(null)).isEqualTo("not in jeopardy: nothing to confirm");
    assertThat(ClusterGroupCommand.confirmMessage(1)).isEqualTo(
        "left jeopardy: 1 chunk will lose its replicas; the affected extents turn DEGRADED and wait for recovery");
    assertThat(ClusterGroupCommand.confirmMessage(3)).startsWith("left jeopardy: 3 chunks will lose their replicas");
    assertThat(ClusterGroupCommand.confirmMessage(0)).contains("no replica is removed");
  }

  @Test
  void durations() {
    assertThat(DurationFormat.human(0)).isEqualTo("0ms");
    assertThat(DurationFormat.human(999)).isEqualTo("999ms");
    assertThat(DurationFormat.human(1_000)).isEqualTo("1.0s");
    assertThat(DurationFormat.human(59_949)).isEqualTo("59.9s");
    assertThat(DurationFormat.human(60_000)).isEqualTo("1m00s");
    assertThat(DurationFormat.human(3_725_000)).isEqualTo("1h02m");
    assertThat(DurationFormat.human(-1_500)).isEqualTo("-1.5s");
    assertThat(DurationFormat.flag(Duration.ofMillis(500))).isEqualTo("500ms");
    assertThat(DurationFormat.flag(Duration.ofMillis(1500))).isEqualTo("1500ms");
    assertThat(DurationFormat.flag(Duration.ofSeconds(3))).isEqualTo("3s");
    assertThat(DurationFormat.flag(Duration.ofMinutes(2))).isEqualTo("120s");
  }
}
