package io.basalt.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.basalt.cli.BasaltCliTest.Result;
import io.basalt.cli.output.JsonReader;
import io.basalt.meta.MetaConfig;
import io.basalt.meta.MetaServer;
import io.basalt.meta.zk.EmbeddedZooKeeper;
import io.basalt.session.SessionConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cluster status} lists every meta server and ZooKeeper member: two meta servers in this JVM on an
 * embedded ZooKeeper; a stopped one stays listed as unreachable, and without any leader the members are still
 * printed (exit code 1, as before).
 */
@Timeout(120)
class ClusterStatusMembersTest {
  static final String CLUSTER = "statustest";

  @TempDir
  Path dir;
  EmbeddedZooKeeper zk;
  MetaServer a;
  MetaServer b;

  @BeforeEach
  void start() {
    zk = EmbeddedZooKeeper.start(dir);
    MetaConfig cfg = MetaConfig.defaults(zk.getConnectionString()).withCluster(CLUSTER)
        .withListen("127.0.0.1", 0).withZkSessionTimeout(Duration.ofSeconds(6))
        .withSessions(SessionConfig.of(Duration.ofMillis(100), Duration.ofSeconds(1)));
    a = MetaServer.start(cfg);
    b = MetaServer.start(cfg);
  }

  @AfterEach
  void stop() {
    a.close();
    b.close();
    zk.close();
  }

  MetaServer leader() {
    await().atMost(Duration.ofSeconds(20)).until(() -> a.isActiveLeader() ^ b.isActiveLeader());
    return a.isActiveLeader() ? a : b;
  }

  Result cli(String... args) {
    List<String> all = new ArrayList<>(Arrays.asList(args));
    all.addAll(List.of("--zk", zk.getConnectionString(), "--cluster", CLUSTER));
    if (!all.contains("--timeout")) {
      all.addAll(List.of("--timeout", "10s"));
    }
    return BasaltCliTest.run(all.toArray(String[]::new));
  }

  @SuppressWarnings("unchecked")
  static Map<String, String> states(Map<String, Object> json, String key) {
    return ((List<Map<String, Object>>) json.get(key)).stream()
        .collect(Collectors.toMap(m -> (String) m.get("address"), m -> (String) m.get("state")));
  }

  /** Cells of the table that starts with the header whose first column is {@code first}. */
  static Map<String, String> tableStates(String out, String first) {
    List<String> lines = out.lines().toList();
    int header = -1;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).startsWith(first + "  ")) {
        header = i;
      }
    }
    assertThat(header).as("table " + first + " in\n" + out).isNotNegative();
    return lines.stream().skip(header + 1).takeWhile(l -> !l.isEmpty()).map(l -> l.split(" {2,}"))
        .collect(Collectors.toMap(c -> c[0], c -> c[1]));
  }

  @Test
  void listsEveryMetaAndZooKeeperMemberAndKeepsAStoppedOne() {
    MetaServer leader = leader();
    MetaServer follower = leader == a ? b : a;
    long epoch = leader.core().metaState().epoch();
    String zkMember = zk.host() + ":" + zk.port();

    Result json = cli("cluster", "status", "--json");
    assertThat(json.code()).as(json.err()).isZero();
    Map<String, Object> m = JsonReader.parseObject(json.out());
    assertThat(m).containsKeys("leader", "meta_epoch", "metas", "zookeepers", "jeopardy", "chunks",
        "grace_remaining_ms", "pauses_compensated");
    assertThat(m).containsEntry("leader", leader.address()).containsEntry("meta_epoch", (double) epoch);
    assertThat(states(m, "metas")).containsExactlyInAnyOrderEntriesOf(
        Map.of(leader.address(), "leader", follower.address(), "follower"));
    assertThat(states(m, "zookeepers")).containsExactlyEntriesOf(Map.of(zkMember, "standalone"));

    Result table = cli("cluster", "status");
    assertThat(table.code()).as(table.err()).isZero();
    assertThat(table.out()).startsWith("leader:              " + leader.address() + "\n");
    assertThat(tableStates(table.out(), "META")).containsExactlyInAnyOrderEntriesOf(
        Map.of(leader.address(), "leader", follower.address(), "follower"));
    assertThat(tableStates(table.out(), "ZOOKEEPER")).containsExactlyEntriesOf(Map.of(zkMember, "standalone"));

    // the follower stops: no longer in the latch, still in the registry
    String stopped = follower.address();
    follower.close();
    Result after = cli("cluster", "status", "--json");
    assertThat(after.code()).as(after.err()).isZero();
    assertThat(states(JsonReader.parseObject(after.out()), "metas")).containsExactlyInAnyOrderEntriesOf(
        Map.of(leader.address(), "leader", stopped, "unreachable"));
    assertThat(tableStates(cli("cluster", "status").out(), "META")).containsEntry(stopped, "unreachable");
  }

  @Test
  void withoutALeaderTheMembersAreStillPrintedAndTheExitCodeIsOne() {
    MetaServer leader = leader();
    MetaServer follower = leader == a ? b : a;
    long epoch = leader.core().metaState().epoch();
    String gone = leader.address();
    leader.close();
    await().atMost(Duration.ofSeconds(20)).until(follower::isActiveLeader);
    assertThat(follower.core().metaState().epoch()).isGreaterThan(epoch);

    Map<String, Object> m = JsonReader.parseObject(cli("cluster", "status", "--json").out());
    assertThat(m).containsEntry("leader", follower.address())
        .containsEntry("meta_epoch", (double) follower.core().metaState().epoch());
    assertThat(states(m, "metas")).containsExactlyInAnyOrderEntriesOf(
        Map.of(gone, "unreachable", follower.address(), "leader"));

    follower.close();
    Result json = cli("cluster", "status", "--json", "--timeout", "1s");
    assertThat(json.code()).isEqualTo(1);
    assertThat(json.err()).startsWith("error: ");
    Map<String, Object> none = JsonReader.parseObject(json.out());
    assertThat(none).containsEntry("leader", null).containsEntry("meta_epoch", 0.0).containsEntry("jeopardy", null);
    assertThat(states(none, "metas")).containsExactlyInAnyOrderEntriesOf(
        Map.of(gone, "unreachable", follower.address(), "unreachable"));
    assertThat(states(none, "zookeepers")).containsValue("standalone");

    Result table = cli("cluster", "status", "--timeout", "1s");
    assertThat(table.code()).isEqualTo(1);
    assertThat(table.err()).startsWith("error: ");
    assertThat(table.out()).startsWith("leader:      none answered\nmeta epoch:  0\n");
    assertThat(tableStates(table.out(), "META")).containsEntry(gone, "unreachable")
        .containsEntry(follower.address(), "unreachable");
  }
}
