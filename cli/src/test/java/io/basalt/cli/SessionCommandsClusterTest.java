package io.basalt.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.basalt.cli.BasaltCliTest.Result;
import io.basalt.cli.output.JsonReader;
import io.basalt.meta.MetaConfig;
import io.basalt.meta.MetaServer;
import io.basalt.meta.zk.EmbeddedZooKeeper;
import io.basalt.proto.AcquireLeaseRequest;
import io.basalt.proto.AllocateExtentRequest;
import io.basalt.proto.ClusterStatusResponse;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.KeepAliveRequest;
import io.basalt.proto.KeepAliveResponse;
import io.basalt.proto.RegisterChunkRequest;
import io.basalt.proto.ReplicaFailedRequest;
import io.basalt.proto.SessionGroup;
import io.basalt.proto.VolumeInfo;
import io.basalt.session.SessionConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code session ls}, {@code cluster status}, {@code cluster confirm-expiry}, {@code extent show} and
 * {@code recovery ls|throttle} against a real
 * meta leader in this JVM (embedded ZooKeeper, short sessions: keepalive 100 ms, timeout 1 s). The test plays the
 * chunk servers: it registers four and sends their keepalives itself, so it can silence some of them.
 */
@Timeout(120)
class SessionCommandsClusterTest {
  static final String CLUSTER = "clitest";
  static final int CHUNKS = 4;

  @TempDir
  Path dir;
  EmbeddedZooKeeper zk;
  MetaServer meta;
  final Set<Integer> silent = ConcurrentHashMap.newKeySet();
  final Map<Integer, KeepAliveResponse> sessions = new ConcurrentHashMap<>();
  final ScheduledExecutorService keepalives = Executors.newSingleThreadScheduledExecutor();

  @BeforeEach
  void start() {
    zk = EmbeddedZooKeeper.start(dir);
    meta = MetaServer.start(MetaConfig.defaults(zk.getConnectionString()).withCluster(CLUSTER)
        .withListen("127.0.0.1", 0).withZkSessionTimeout(Duration.ofSeconds(6))
        .withSessions(SessionConfig.of(Duration.ofMillis(100), Duration.ofSeconds(1))));
    await().atMost(Duration.ofSeconds(20)).until(meta::isActiveLeader);
    for (int i = 1; i <= CHUNKS; i++) {
      meta.core().chunks().register(RegisterChunkRequest.newBuilder().setAddress("127.0.0.1:" + (9000 + i))
          .setZone("z" + i).setCapacityBytes(1L << 40).build()).join();
    }
    keepalives.scheduleWithFixedDelay(this::keepAll, 0, 100, TimeUnit.MILLISECONDS);
    await().atMost(Duration.ofSeconds(20)).until(() -> sessions.size() == CHUNKS
        && status().getGraceRemainingMs() == 0 && status().getSessionsAlive() == CHUNKS);
  }

  @AfterEach
  void stop() throws InterruptedException {
    keepalives.shutdownNow();
    keepalives.awaitTermination(5, TimeUnit.SECONDS);
    meta.close();
    zk.close();
  }

  private void keepAll() {
    for (int cid = 1; cid <= CHUNKS; cid++) {
      if (silent.contains(cid)) {
        continue;
      }
      try {
        KeepAliveResponse s = sessions.get(cid);
        KeepAliveRequest.Builder req = KeepAliveRequest.newBuilder().setGroup(SessionGroup.CHUNK).setCid(cid)
            .setName("127.0.0.1:" + (9000 + cid));
        if (s != null) {
          req.setSessionUuid(s.getSessionUuid()).setSessionEpoch(s.getSessionEpoch());
        }
        sessions.put(cid, meta.core().sessions().keepAlive(req.build()).join());
      } catch (RuntimeException e) {
        sessions.remove(cid); // NO_SESSION: a new session next round
      }
    }
  }

  private ClusterStatusResponse status() {
    return meta.core().sessions().status().join();
  }

  private Result cli(String... args) {
    List<String> all = new ArrayList<>(Arrays.asList(args));
    all.addAll(List.of("--zk", zk.getConnectionString(), "--cluster", CLUSTER, "--timeout", "10s"));
    return BasaltCliTest.run(all.toArray(String[]::new));
  }

  /** Cells of each table row (header excluded), split on the two-space column gap. */
  static List<List<String>> rows(String table) {
    return table.lines().skip(1).map(l -> List.of(l.split(" {2,}"))).toList();
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> jsonArray(String json) {
    return (List<Map<String, Object>>) JsonReader.parseObject("{\"a\": " + json + "}").get("a");
  }

  @Test
  void sessionLsShowsLiveSessionsFirstThenEndedOnesWithWhyAndWhen() {
    // chunk 4 reconnects (its old session is superseded), then goes silent for good (its new session expires);
    // a client session with no cid
    KeepAliveResponse old4 = sessions.get(4);
    silent.add(4);
    KeepAliveResponse new4 = meta.core().sessions().keepAlive(KeepAliveRequest.newBuilder()
        .setGroup(SessionGroup.CHUNK).setCid(4).setName("127.0.0.1:9004").build()).join();
    KeepAliveResponse client = meta.core().sessions().keepAlive(KeepAliveRequest.newBuilder()
        .setGroup(SessionGroup.CLIENT).setName("nbd-test").build()).join();
    keepalives.scheduleWithFixedDelay(() -> meta.core().sessions().keepAlive(KeepAliveRequest.newBuilder()
        .setGroup(SessionGroup.CLIENT).setName("nbd-test").setSessionUuid(client.getSessionUuid())
        .setSessionEpoch(client.getSessionEpoch()).build()), 0, 100, TimeUnit.MILLISECONDS);
    // chunk 4's new session expires: 3 chunks and the client are left
    await().atMost(Duration.ofSeconds(10)).until(() -> status().getSessionsAlive() == CHUNKS);

    Result r = cli("session", "ls");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).startsWith("UUID").contains("LEASE_REMAINING");
    String header = r.out().lines().findFirst().orElseThrow();
    assertThat(header.split(" {2,}")).containsExactly("UUID", "EPOCH", "GROUP", "CID", "NAME", "LEASES",
        "LEASE_REMAINING", "STATE");
    List<List<String>> rows = rows(r.out());
    assertThat(rows).hasSize(6);
    // alive first: the client (cid "-", sorts as 0), chunks 1..3; then the two ended sessions of chunk 4
    assertThat(rows).extracting(row -> row.get(7)).startsWith("alive", "alive", "alive", "alive");
    assertThat(rows.get(0)).containsSequence(client.getSessionUuid(), Long.toString(client.getSessionEpoch()),
        "client", "-", "nbd-test", "0");
    assertThat(rows.subList(1, 4)).extracting(row -> row.get(3)).containsExactly("1", "2", "3");
    assertThat(rows.get(1).get(4)).isEqualTo("127.0.0.1:9001");
    assertThat(rows.get(1).get(6)).matches("\\d+ms|1\\.\\ds"); // about a second left
    List<String> expired = rows.get(4);
    List<String> superseded = rows.get(5);
    assertThat(expired.get(0)).isEqualTo(new4.getSessionUuid());
    assertThat(expired.get(6)).isEqualTo("expired");
    assertThat(expired.get(7)).matches("expired (\\d+ms|\\d+\\.\\ds) ago");
    assertThat(superseded.get(0)).isEqualTo(old4.getSessionUuid());
    assertThat(superseded.get(7)).matches("superseded (\\d+ms|\\d+\\.\\ds) ago");
    // aligned: every row's STATE starts in the header's STATE column
    int stateCol = header.indexOf("STATE");
    r.out().lines().skip(1).forEach(l -> assertThat(l.substring(stateCol)).matches("(alive|expired|superseded).*"));

    Result json = cli("session", "ls", "--json");
    assertThat(json.code()).as(json.err()).isZero();
    List<Map<String, Object>> sessionsJson = jsonArray(json.out());
    assertThat(sessionsJson).hasSize(6);
    for (Map<String, Object> s : sessionsJson) {
      assertThat(s).containsOnlyKeys("uuid", "epoch", "group", "cid", "name", "leases", "lease_remaining_ms",
          "state", "ended_ago_ms");
    }
    assertThat(sessionsJson.get(0)).containsEntry("uuid", client.getSessionUuid()).containsEntry("group", "client")
        .containsEntry("cid", null).containsEntry("state", "alive").containsEntry("ended_ago_ms", null);
    assertThat(sessionsJson.get(1)).containsEntry("cid", 1.0).containsEntry("group", "chunk")
        .containsEntry("leases", 0.0);
    assertThat((Double) sessionsJson.get(1).get("lease_remaining_ms")).isPositive();
    assertThat(sessionsJson.get(4)).containsEntry("uuid", new4.getSessionUuid()).containsEntry("state", "expired");
    assertThat((Double) sessionsJson.get(4).get("lease_remaining_ms")).isNegative();
    assertThat((Double) sessionsJson.get(4).get("ended_ago_ms")).isNotNegative();
    assertThat(sessionsJson.get(5)).containsEntry("uuid", old4.getSessionUuid())
        .containsEntry("state", "superseded");
  }

  @Test
  void clusterStatusOfAHealthyCluster() {
    Result r = cli("cluster", "status");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).doesNotContain("JEOPARDY")
        .startsWith("leader:              " + meta.address() + "\n")
        .contains("\njeopardy:            no\n")
        .contains("\nchunks healthy:      4/4\n")
        .contains("\nsessions alive:      4\n")
        .contains("\nextents:             0 (0 degraded, 0 recovering)\n")
        .contains("\ngrace remaining:     none\n")
        .contains("\npauses compensated:  ");
    assertThat(r.out()).containsPattern("meta epoch: +\\d+\n");

    Result json = cli("cluster", "status", "--json");
    assertThat(json.code()).isZero();
    assertThat(json.err()).isEmpty();
    Map<String, Object> m = JsonReader.parseObject(json.out());
    assertThat(m).containsOnlyKeys("leader", "meta_epoch", "jeopardy", "jeopardy_reason", "jeopardy_for_ms",
        "held_expiries", "chunks", "chunks_healthy", "sessions_alive", "extents", "extents_degraded",
        "extents_recovering", "grace_remaining_ms", "pauses_compensated", "metas", "zookeepers");
    assertThat(m).containsEntry("leader", meta.address()).containsEntry("jeopardy", false)
        .containsEntry("jeopardy_reason", null).containsEntry("chunks", 4.0).containsEntry("chunks_healthy", 4.0)
        .containsEntry("sessions_alive", 4.0).containsEntry("held_expiries", 0.0);
    assertThat(m.get("metas")).isEqualTo(List.of(Map.of("address", meta.address(), "state", "leader",
        "meta_epoch", (double) meta.core().metaState().epoch(), "leader_hint", meta.address())));

    Result confirm = cli("cluster", "confirm-expiry");
    assertThat(confirm.code()).isZero();
    assertThat(confirm.out()).isEqualTo("not in jeopardy: nothing to confirm\n");
    Result confirmJson = cli("cluster", "confirm-expiry", "--json");
    assertThat(JsonReader.parseObject(confirmJson.out())).containsEntry("jeopardy", false)
        .containsEntry("confirmed", false).containsEntry("chunks", 0.0);
  }

  @Test
  void massExpiryIsJeopardyUntilConfirmed() {
    silent.addAll(List.of(2, 3, 4)); // three of four chunks go quiet at once: above the share of one half
    await().atMost(Duration.ofSeconds(15)).until(() -> status().getJeopardy());

    Result r = cli("cluster", "status");
    assertThat(r.code()).as("jeopardy is reported, not an error").isZero();
    String first = r.out().lines().findFirst().orElseThrow();
    assertThat(first).startsWith("JEOPARDY: 3 of 4 chunk sessions expired within one session timeout")
        .endsWith("; held expiries: 3; run 'basalt cluster confirm-expiry' if those chunks are really gone");
    assertThat(r.out()).containsPattern("\njeopardy: +YES for [0-9.]+m?s \\(held expiries: 3\\)\n")
        .contains("\nchunks healthy:      1/4\n");

    Result json = cli("cluster", "status", "--json");
    assertThat(json.code()).isZero();
    Map<String, Object> m = JsonReader.parseObject(json.out());
    assertThat(m).containsEntry("jeopardy", true).containsEntry("held_expiries", 3.0);
    assertThat((String) m.get("jeopardy_reason")).startsWith("3 of 4 chunk sessions expired");
    assertThat(json.err()).startsWith("JEOPARDY: 3 of 4"); // stdout stays JSON

    Result confirm = cli("cluster", "confirm-expiry");
    assertThat(confirm.code()).as(confirm.err()).isZero();
    assertThat(confirm.out()).isEqualTo("left jeopardy: 3 chunks will lose their replicas; the affected "
        + "extents turn DEGRADED and wait for recovery\n");
    assertThat(status().getJeopardy()).isFalse();
    assertThat(cli("cluster", "status").out()).doesNotContain("JEOPARDY").contains("\njeopardy:            no\n");
    assertThat(cli("cluster", "confirm-expiry").out()).isEqualTo("not in jeopardy: nothing to confirm\n");
  }

  @Test
  void extentShowNamesTheOwnersSessionEpoch() {
    Result created = cli("volume", "create", "v1", "--size", "4M", "--extent-size", "1M", "--replicas", "2");
    assertThat(created.code()).as(created.err()).isZero();
    VolumeInfo v = meta.core().volumes().get("v1").join();
    ExtentInfo e0 = meta.core().extents().allocate(AllocateExtentRequest.newBuilder().setVid(v.getVid())
        .setIndex(0).build()).join();
    meta.core().extents().allocate(AllocateExtentRequest.newBuilder().setVid(v.getVid()).setIndex(1).build()).join();
    int owner = e0.getReplicas(0);
    KeepAliveResponse s = sessions.get(owner);
    ExtentInfo leased = meta.core().extents().acquireLease(AcquireLeaseRequest.newBuilder().setPid(e0.getPid())
        .setCid(owner).setSessionUuid(s.getSessionUuid()).setSessionEpoch(s.getSessionEpoch()).build()).join();
    assertThat(leased.getOwnerSession()).isEqualTo(s.getSessionEpoch());

    Result r = cli("extent", "show", "v1");
    assertThat(r.code()).as(r.err()).isZero();
    String header = r.out().lines().findFirst().orElseThrow();
    assertThat(header.split(" {2,}")).containsExactly("INDEX", "PID", "EPOCH", "OWNER", "OWNER_SESSION", "STATE",
        "REPLICAS", "GENERATIONS");
    List<List<String>> rows = rows(r.out());
    assertThat(rows).hasSize(2);
    assertThat(rows.get(0)).containsSequence("0", Long.toString(e0.getPid()), Long.toString(leased.getEpoch()),
        Integer.toString(owner), Long.toString(s.getSessionEpoch()));
    assertThat(rows.get(1).subList(3, 5)).containsExactly("-", "-"); // extent 1 has no owner
    assertThat(r.err()).contains("warning: pid " + e0.getPid()); // no chunk server answers at those addresses

    Result json = cli("extent", "show", "v1", "0", "--json");
    assertThat(json.code()).as(json.err()).isZero();
    List<Map<String, Object>> extents = jsonArray(json.out());
    assertThat(extents).hasSize(1);
    assertThat(extents.get(0)).containsEntry("owner", (double) owner)
        .containsEntry("owner_session", (double) s.getSessionEpoch())
        .containsEntry("epoch", (double) leased.getEpoch());
    assertThat(jsonArray(cli("extent", "show", "v1", "1", "--json").out()).get(0))
        .containsEntry("owner", null).containsEntry("owner_session", null);
  }

  @Test
  void recoveryThrottleAndLs() {
    Result shown = cli("recovery", "throttle");
    assertThat(shown.code()).as(shown.err()).isZero();
    assertThat(shown.out()).isEqualTo("bytes per sec:  200 MiB/s (209715200)\nper chunk:      4\n");
    Result set = cli("recovery", "throttle", "--bytes-per-sec", "50MiB", "--per-chunk", "8", "--json");
    assertThat(set.code()).as(set.err()).isZero();
    assertThat(JsonReader.parseObject(set.out())).containsEntry("bytes_per_sec", (double) (50L << 20))
        .containsEntry("per_chunk", 8.0);
    Result empty = cli("recovery", "ls");
    assertThat(empty.code()).as(empty.err()).isZero();
    assertThat(empty.out()).isEqualTo("degraded: 0  recovering: 0  throttle: 50 MiB/s, 8 per chunk\n"
        + "PID  VOLUME  INDEX  SOURCE->TARGET  DONE/TOTAL  RATE  ETA  STATE  LIVE  RUNNING\n");

    // An extent loses a replica (ReplicaFailed from its owner): the leader's recovery pass assigns a target.
    assertThat(cli("volume", "create", "v2", "--size", "4M", "--extent-size", "1M", "--replicas", "3").code())
        .isZero();
    VolumeInfo v = meta.core().volumes().get("v2").join();
    ExtentInfo e = meta.core().extents().allocate(AllocateExtentRequest.newBuilder().setVid(v.getVid()).setIndex(0)
        .build()).join();
    int owner = e.getReplicas(0);
    KeepAliveResponse s = sessions.get(owner);
    ExtentInfo leased = meta.core().extents().acquireLease(AcquireLeaseRequest.newBuilder().setPid(e.getPid())
        .setCid(owner).setSessionUuid(s.getSessionUuid()).setSessionEpoch(s.getSessionEpoch()).build()).join();
    meta.core().recovery().replicaFailed(ReplicaFailedRequest.newBuilder().setPid(e.getPid())
        .setEpoch(leased.getEpoch()).setOwnerCid(owner).setOwnerSession(s.getSessionEpoch())
        .setFailedCid(e.getReplicas(2)).setReason("test").build()).join();
    int outsider = IntStream.rangeClosed(1, CHUNKS).filter(c -> !e.getReplicasList().contains(c))
        .findFirst().orElseThrow();
    await().atMost(Duration.ofSeconds(10)).until(() -> meta.core().extents().get(e.getPid()).join()
        .getRecoveringCid() == outsider);

    Result ls = cli("recovery", "ls");
    assertThat(ls.code()).as(ls.err()).isZero();
    assertThat(ls.out()).startsWith("degraded: 1  recovering: 1  throttle: 50 MiB/s, 8 per chunk\n");
    List<List<String>> rows = rows(ls.out().substring(ls.out().indexOf('\n') + 1));
    assertThat(rows).hasSize(1);
    assertThat(rows.get(0)).containsSequence(Long.toString(e.getPid()), "v2", "0", owner + "->" + outsider,
        "0 B/1 MiB", "-", "-", "starting", "2/3");
    Result json = cli("recovery", "ls", "--json");
    assertThat(json.code()).as(json.err()).isZero();
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> recs = (List<Map<String, Object>>) JsonReader.parseObject(json.out()).get("recoveries");
    assertThat(recs).hasSize(1);
    assertThat(recs.get(0)).containsEntry("target_cid", (double) outsider).containsEntry("source_cid", (double) owner)
        .containsEntry("state", "starting").containsEntry("eta_ms", null);
  }
}
