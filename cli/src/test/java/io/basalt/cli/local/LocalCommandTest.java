package io.basalt.cli.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.cli.BasaltCli;
import io.basalt.cli.output.JsonReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(120)
class LocalCommandTest {
  @TempDir
  Path tmp;

  static String[] run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = BasaltCli.run(new PrintWriter(out), new PrintWriter(err), args);
    return new String[] {Integer.toString(code), out.toString(), err.toString()};
  }

  @Test
  void statusListsEveryProcessWithItsState() {
    ProcessRecord running = LocalProcessesTest.startFake(tmp, 1, false);
    try {
      ProcessRecord dead = new ProcessRecord(Role.META, 0, 0, null, "127.0.0.1:7000", "127.0.0.1:9100", null,
          tmp.resolve("logs/meta.log").toString());
      ClusterStateFile.write(tmp, new ClusterState("local", "127.0.0.1:2181", 0, 1, null,
          List.of(running.withCid(4), dead)));

      String[] table = run("local", "status", "--dir", tmp.toString());
      assertThat(table[0]).isEqualTo("0");
      assertThat(table[1].lines().toList()).hasSize(5);
      // column widths follow the cells (the PID column is as wide as the pid has digits)
      assertThat(table[1]).containsPattern("^ROLE   INDEX  PID +CID  ADDRESS ").contains("dead").contains("running")
          .contains("\nmeta leader: none (no ZooKeeper server running)\n")
          .endsWith("\nsessions (meta and chunk servers): keepalive interval 1s (default), session timeout 10s "
              + "(default)\n");

      String[] json = run("local", "status", "--dir", tmp.toString(), "--json");
      assertThat(json[0]).isEqualTo("0");
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> rows = (List<Map<String, Object>>) JsonReader.parseObject("{\"rows\": " + json[1]
          + "}").get("rows");
      assertThat(rows).hasSize(2);
      for (Map<String, Object> row : rows) {
        assertThat(row).containsOnlyKeys("role", "index", "pid", "cid", "address", "state", "member_state",
            "meta_epoch", "keepalive_interval_ms", "session_timeout_ms");
      }
      assertThat(rows.get(0)).containsEntry("role", "meta").containsEntry("state", "dead").containsEntry("cid", null)
          .containsEntry("keepalive_interval_ms", 1000.0).containsEntry("session_timeout_ms", 10000.0);
      assertThat(rows.get(1)).containsEntry("role", "chunk").containsEntry("index", 1.0)
          .containsEntry("pid", (double) running.pid()).containsEntry("cid", 4.0)
          .containsEntry("address", "127.0.0.1:1").containsEntry("state", "running");

      String[] down = run("local", "down", "--dir", tmp.toString());
      assertThat(down[0]).isEqualTo("0");
      assertThat(down[1]).contains("stopping chunk-1 (pid " + running.pid() + ")... stopped");
      assertThat(LocalProcesses.isRunning(running)).isFalse();
      assertThat(run("local", "status", "--dir", tmp.toString(), "--json")[1]).doesNotContain("running");
    } finally {
      LocalProcesses.stop(List.of(running), Duration.ofSeconds(2));
    }
  }

  @Test
  void statusShowsTheSessionTimingsGiven() {
    ProcessRecord zk = new ProcessRecord(Role.ZOOKEEPER, 0, 0, null, "127.0.0.1:2181", null, null, "/l/zk.log");
    ProcessRecord chunk = new ProcessRecord(Role.CHUNK, 1, 0, null, "127.0.0.1:7101", null, null, "/l/c.log");
    ClusterStateFile.write(tmp, new ClusterState("local", "127.0.0.1:2181", 0, 1, null, List.of(zk, chunk),
        new SessionTimings(Duration.ofMillis(500), Duration.ofSeconds(3))));
    String[] table = run("local", "status", "--dir", tmp.toString());
    assertThat(table[0]).isEqualTo("0");
    assertThat(table[1]).endsWith("\nsessions (meta and chunk servers): keepalive interval 500ms, session timeout "
        + "3s\n");
    List<Map<String, Object>> rows = jsonRows(run("local", "status", "--dir", tmp.toString(), "--json")[1]);
    assertThat(rows.get(0)).containsEntry("role", "zookeeper").containsEntry("keepalive_interval_ms", null)
        .containsEntry("session_timeout_ms", null);
    assertThat(rows.get(1)).containsEntry("role", "chunk").containsEntry("keepalive_interval_ms", 500.0)
        .containsEntry("session_timeout_ms", 3000.0);
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> jsonRows(String json) {
    return (List<Map<String, Object>>) JsonReader.parseObject("{\"rows\": " + json + "}").get("rows");
  }

  /**
   * The session flags reach the meta process's command line and the state file. ZooKeeper is a stand-in (a process
   * the CLI takes for it, and a socket on its port), so 'up' goes on to start meta from an empty jar: meta's log
   * header holds the command line, then meta dies and 'up' fails, which is all this test needs.
   */
  @Test
  void upPassesSessionFlagsToMetaAndRecordsThem() throws Exception {
    Path dir = tmp.resolve("cluster");
    Path jar = tmp.resolve("empty.jar");
    Files.write(jar, new byte[0]);
    try (ServerSocket zkSocket = freeLayout()) {
      // accept and hang up at once: a ZooKeeper client then gives up quickly instead of waiting for an answer
      Thread hangUp = new Thread(() -> {
        while (!zkSocket.isClosed()) {
          try {
            zkSocket.accept().close();
          } catch (IOException e) {
            return;
          }
        }
      }, "zk-stand-in");
      hangUp.setDaemon(true);
      hangUp.start();
      int base = zkSocket.getLocalPort() - LocalLayout.ZK_PORT;
      LocalLayout layout = new LocalLayout(dir, base, 1);
      ProcessRecord zk = startStandIn(layout.zookeeper(), tmp);
      ClusterStateFile.write(dir, new ClusterState(LocalLayout.CLUSTER, layout.zkAddress(), base, 1, null,
          List.of(zk)));
      try {
        String[] r = run("local", "up", "--dir", dir.toString(), "--jar", jar.toString(), "--wait", "20s",
            "--keepalive-interval", "500ms", "--session-timeout", "3s");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[1]).startsWith("zookeeper already running (pid " + zk.pid() + ", " + layout.zkAddress()
            + ")... ready\nstarting meta (127.0.0.1:" + (LocalLayout.META_PORT + base) + ")... ");
        ClusterState state = ClusterStateFile.read(dir).orElseThrow();
        assertThat(state.sessions()).isEqualTo(new SessionTimings(Duration.ofMillis(500), Duration.ofSeconds(3)));
        ProcessRecord meta = state.find(Role.META, 0).orElseThrow();
        assertThat(meta.pid()).isPositive();
        String header = Files.readAllLines(Path.of(meta.logFile())).stream()
            .filter(l -> l.startsWith("=== basalt local: starting")).findFirst().orElseThrow();
        assertThat(header).contains(" io.basalt.meta.MetaServerMain --zk " + layout.zkAddress())
            .endsWith(" --metrics-port " + (LocalLayout.META_METRICS_PORT + base)
                + " --keepalive-interval 500ms --session-timeout 3s");
        assertThat(run("local", "status", "--dir", dir.toString())[1])
            .contains("sessions (meta and chunk servers): keepalive interval 500ms, session timeout 3s");

        // meta died; a second 'up' without the flags restarts it with the recorded ones, and the extra meta argument
        String[] again = run("local", "up", "--dir", dir.toString(), "--jar", jar.toString(), "--wait", "20s",
            "--meta-arg=--scrub-light-period=1h", "--chunk-arg=--report-interval=2s");
        assertThat(again[0]).isEqualTo("1");
        List<String> headers = Files.readAllLines(Path.of(meta.logFile())).stream()
            .filter(l -> l.startsWith("=== basalt local: starting")).toList();
        assertThat(headers).hasSize(2);
        assertThat(headers.get(1)).endsWith(" --keepalive-interval 500ms --session-timeout 3s"
            + " --scrub-light-period=1h");
        // one flag changed: checked against the other, recorded one
        String[] bad = run("local", "up", "--dir", dir.toString(), "--keepalive-interval", "2s");
        assertThat(bad[0]).isEqualTo("2");
        assertThat(bad[2]).startsWith("--session-timeout 3s must be at least twice --keepalive-interval 2s, so that "
            + "a session survives one lost keepalive (the flag not given keeps the cluster's: keepalive interval "
            + "500ms, session timeout 3s)");
      } finally {
        LocalProcesses.stop(ClusterStateFile.read(dir).orElseThrow().processes(), Duration.ofSeconds(2));
      }
    }
  }

  @Test
  void upRefusesOtherSessionTimingsWhileServersRun() throws Exception {
    ProcessRecord chunk = LocalProcessesTest.startFake(tmp, 1, false);
    try {
      ClusterState before = new ClusterState("local", "127.0.0.1:2181", 0, 1, null, List.of(chunk));
      ClusterStateFile.write(tmp, before);
      String[] r = run("local", "up", "--dir", tmp.toString(), "--session-timeout", "3s",
          "--keepalive-interval", "500ms");
      assertThat(r[0]).isEqualTo("1");
      assertThat(r[2]).isEqualTo("error: the local cluster in " + tmp + " runs with keepalive interval 1s (default), "
          + "session timeout 10s (default); run 'basalt local down --dir " + tmp + "' before changing them\n");
      assertThat(ClusterStateFile.read(tmp).orElseThrow()).isEqualTo(before);
      assertThat(LocalProcesses.isRunning(chunk)).isTrue();
    } finally {
      LocalProcesses.stop(List.of(chunk), Duration.ofSeconds(2));
    }
  }

  /**
   * A socket on a free port to stand in for ZooKeeper's, at an offset whose meta ports are free too and that
   * 'local up' accepts.
   */
  private static ServerSocket freeLayout() throws Exception {
    for (int attempt = 0; attempt < 50; attempt++) {
      ServerSocket s = new ServerSocket(0, 50, InetAddress.getByName(LocalLayout.HOST));
      int base = s.getLocalPort() - LocalLayout.ZK_PORT;
      if (base <= LocalLayout.MAX_BASE_PORT && Readiness.portFree(LocalLayout.HOST, LocalLayout.META_PORT + base)
          && Readiness.portFree(LocalLayout.HOST, LocalLayout.META_METRICS_PORT + base)) {
        return s;
      }
      s.close();
    }
    throw new AssertionError("no free port layout found");
  }

  /** A process 'local up' takes for {@code spec}'s server: its command line names the main class and data dir. */
  private static ProcessRecord startStandIn(ProcessSpec spec, Path workDir) {
    long pid = LocalProcesses.start(List.of("bash", "-c", "trap 'exit 0' TERM; echo ready; while :; do sleep 0.1; "
        + "done", spec.role().mainClass(), spec.dataDir().toString()), workDir, spec.logFile());
    Awaitility.await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
        .until(() -> Files.readAllLines(spec.logFile()).contains("ready"));
    return spec.toRecord(pid, null);
  }

  @Test
  void upReportsTheProcessThatFailedWithItsLog() throws Exception {
    Path jar = tmp.resolve("not-a-distribution.jar");
    Files.write(jar, new byte[0]);
    int zkPort;
    try (ServerSocket s = new ServerSocket(0)) {
      zkPort = s.getLocalPort();
    }
    int base = zkPort - LocalLayout.ZK_PORT;
    Path dir = tmp.resolve("cluster");
    String[] r = run("local", "up", "--dir", dir.toString(), "--jar", jar.toString(), "--base-port",
        Integer.toString(base), "--wait", "20s", "--zk", "1", "--metas", "1");
    assertThat(r[0]).isEqualTo("1");
    assertThat(r[1]).startsWith("starting zookeeper (127.0.0.1:" + zkPort + ")... failed");
    assertThat(r[2]).contains("error: zookeeper (pid").contains("exited")
        .contains("last lines of " + dir.resolve("logs/zookeeper.log"))
        .contains("io.basalt.meta.zk.EmbeddedZooKeeperMain");
    ClusterState state = ClusterStateFile.read(dir).orElseThrow();
    assertThat(state.zk()).isEqualTo("127.0.0.1:" + zkPort);
    assertThat(state.find(Role.ZOOKEEPER, 0).orElseThrow().pid()).isPositive();
  }

  @Test
  void upRefusesABusyPortNamingIt() throws Exception {
    Path jar = tmp.resolve("basalt.jar");
    Files.write(jar, new byte[0]);
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      int base = busy.getLocalPort() - LocalLayout.ZK_PORT;
      String[] r = run("local", "up", "--dir", tmp.toString(), "--jar", jar.toString(), "--base-port",
          Integer.toString(base));
      assertThat(r[0]).isEqualTo("1");
      assertThat(r[2]).startsWith("error: cannot start zookeeper-1: port " + busy.getLocalPort()
          + " (zookeeper-1 client) on 127.0.0.1 is already in use");
    }
  }

  /**
   * A new cluster gets a 3-member ensemble: every member is started before any is waited for (a member serves only
   * with a quorum), and one that dies is reported with its log. The jar is empty, so every member dies.
   */
  @Test
  void upStartsEveryEnsembleMemberBeforeWaitingAndRecordsTheTopology() throws Exception {
    Path jar = tmp.resolve("empty.jar");
    Files.write(jar, new byte[0]);
    Path dir = tmp.resolve("cluster");
    int base = freeBase(b -> new LocalLayout(dir, b, 1, null, 3, 3));
    String connect = "127.0.0.1:" + (2181 + base) + ",127.0.0.1:" + (2182 + base) + ",127.0.0.1:" + (2183 + base);
    String[] r = run("local", "up", "--dir", dir.toString(), "--jar", jar.toString(), "--base-port",
        Integer.toString(base), "--wait", "20s", "--chunks", "1");
    assertThat(r[0]).isEqualTo("1");
    assertThat(r[1]).isEqualTo("starting zookeeper-1 (127.0.0.1:" + (2181 + base) + ")... started\n"
        + "starting zookeeper-2 (127.0.0.1:" + (2182 + base) + ")... started\n"
        + "starting zookeeper-3 (127.0.0.1:" + (2183 + base) + ")... started\n"
        + "waiting for the ZooKeeper ensemble (3 servers) to form a quorum... failed\n");
    assertThat(r[2]).containsPattern("error: zookeeper-\\d \\(pid \\d+\\) exited while waiting for the ZooKeeper "
        + "ensemble to serve").contains("io.basalt.meta.zk.EmbeddedZooKeeperMain --dir " + dir.resolve("zk-"));
    ClusterState state = ClusterStateFile.read(dir).orElseThrow();
    assertThat(state.zk()).isEqualTo(connect);
    assertThat(state.zookeepers()).isEqualTo(3);
    assertThat(state.metas()).isEqualTo(3);
    assertThat(state.ofRole(Role.ZOOKEEPER)).extracting(ProcessRecord::name)
        .containsExactly("zookeeper-1", "zookeeper-2", "zookeeper-3");
    String header = Files.readAllLines(dir.resolve("logs/zookeeper-2.log")).get(0);
    assertThat(header).endsWith("--dir " + dir.resolve("zk-2") + " --id 2 --ensemble 127.0.0.1:" + (2181 + base)
        + ":" + (2888 + base) + ":" + (3888 + base) + ",127.0.0.1:" + (2182 + base) + ":" + (2889 + base) + ":"
        + (3889 + base) + ",127.0.0.1:" + (2183 + base) + ":" + (2890 + base) + ":" + (3890 + base));

    // the directory keeps its topology: other numbers are refused, none given keeps it
    String[] fewer = run("local", "up", "--dir", dir.toString(), "--jar", jar.toString(), "--zk", "1");
    assertThat(fewer[0]).isEqualTo("1");
    assertThat(fewer[2]).startsWith("error: the local cluster in " + dir + " has 3 ZooKeeper servers; 'local up' "
        + "does not change that");
    String[] metas = run("local", "up", "--dir", dir.toString(), "--jar", jar.toString(), "--metas", "2");
    assertThat(metas[2]).startsWith("error: the local cluster in " + dir + " has 3 meta servers;");
  }

  /** A directory written before ensembles (no counts in cluster.json) is one standalone ZooKeeper and one meta. */
  @Test
  void anOldDirectoryKeepsItsSingleZooKeeperAndMeta() throws Exception {
    Files.writeString(ClusterStateFile.path(tmp), "{\"version\": 1, \"cluster\": \"local\", \"zk\": "
        + "\"127.0.0.1:2181\", \"basePort\": 0, \"chunks\": 1, \"processes\": ["
        + "{\"role\": \"zookeeper\", \"index\": 0, \"pid\": 0, \"address\": \"127.0.0.1:2181\", "
        + "\"dataDir\": \"" + tmp.resolve("zk") + "\", \"logFile\": \"" + tmp.resolve("logs/zookeeper.log") + "\"},"
        + "{\"role\": \"meta\", \"index\": 0, \"pid\": 0, \"address\": \"127.0.0.1:7000\", "
        + "\"logFile\": \"" + tmp.resolve("logs/meta.log") + "\"}]}");
    String[] r = run("local", "up", "--dir", tmp.toString(), "--zk", "3");
    assertThat(r[0]).isEqualTo("1");
    assertThat(r[2]).startsWith("error: the local cluster in " + tmp + " has 1 ZooKeeper server; 'local up' does "
        + "not change that (run 'basalt local down' and delete " + tmp + " to start over)");
    List<Map<String, Object>> rows = jsonRows(run("local", "status", "--dir", tmp.toString(), "--json")[1]);
    assertThat(rows).extracting(m -> m.get("role") + "/" + m.get("index")).containsExactly("zookeeper/0.0",
        "meta/0.0");
    ClusterState state = ClusterStateFile.read(tmp).orElseThrow();
    LocalLayout layout = new LocalLayout(tmp, state.basePort(), state.chunks(), state.sessions(), state.zookeepers(),
        state.metas());
    assertThat(layout.zookeeper().toRecord(0, null)).isEqualTo(state.find(Role.ZOOKEEPER, 0).orElseThrow());
    assertThat(layout.meta().toRecord(0, null).logFile()).isEqualTo(state.find(Role.META, 0).orElseThrow().logFile());
  }

  @Test
  void statusListsEveryZooKeeperAndMetaServer() {
    LocalLayout layout = new LocalLayout(tmp, 0, 1, null, 3, 3);
    List<ProcessRecord> records = layout.processes().stream().map(p -> p.toRecord(0, null)).toList();
    ClusterStateFile.write(tmp, new ClusterState("local", layout.zkAddress(), 0, 1, null, records,
        SessionTimings.DEFAULTS, 3, 3));
    List<Map<String, Object>> rows = jsonRows(run("local", "status", "--dir", tmp.toString(), "--json")[1]);
    assertThat(rows).extracting(m -> m.get("role") + "-" + ((Double) m.get("index")).intValue() + "@"
        + m.get("address")).containsExactly("zookeeper-1@127.0.0.1:2181", "zookeeper-2@127.0.0.1:2182",
        "zookeeper-3@127.0.0.1:2183", "meta-1@127.0.0.1:7000", "meta-2@127.0.0.1:7001", "meta-3@127.0.0.1:7002",
        "chunk-1@127.0.0.1:7101", "nbd-0@127.0.0.1:10809");
    assertThat(rows).allSatisfy(m -> assertThat(m).containsOnlyKeys("role", "index", "pid", "cid", "address",
        "state", "member_state", "meta_epoch", "keepalive_interval_ms", "session_timeout_ms")
        .containsEntry("state", "dead").containsEntry("member_state", null));
    String table = run("local", "status", "--dir", tmp.toString())[1];
    assertThat(table.lines().filter(l -> l.matches("meta +\\d.*"))).hasSize(3);
    assertThat(table.lines().filter(l -> l.startsWith("zookeeper "))).hasSize(3);
    assertThat(table).contains("logs/zookeeper-2.log").contains("127.0.0.1:9183")
        .contains("meta leader: none (no ZooKeeper server running)");
  }

  @Test
  void upRefusesOtherZooKeeperOrMetaCounts() {
    String[] zk = run("local", "up", "--dir", tmp.toString(), "--zk", "2");
    assertThat(zk[0]).isEqualTo("2");
    assertThat(zk[2]).startsWith("--zk must be 1 (a standalone ZooKeeper) or 3 (an ensemble that survives one "
        + "failure), not 2");
    String[] metas = run("local", "up", "--dir", tmp.toString(), "--metas", "0");
    assertThat(metas[0]).isEqualTo("2");
    assertThat(metas[2]).startsWith("--metas must be between 1 and 5, not 0");
    assertThat(ClusterStateFile.read(tmp)).isEmpty();
  }

  /** A base port offset at which every port of {@code layout} is free. */
  private static int freeBase(IntFunction<LocalLayout> layout) throws Exception {
    for (int attempt = 0; attempt < 200; attempt++) {
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      int base = port - LocalLayout.ZK_PORT - 3 * attempt % 50;
      if (base < 0 || base > LocalLayout.MAX_BASE_PORT) {
        continue;
      }
      if (layout.apply(base).processes().stream().flatMap(p -> p.ports().stream())
          .allMatch(p -> Readiness.portFree(LocalLayout.HOST, p))) {
        return base;
      }
    }
    throw new AssertionError("no free port layout found");
  }
}
