package io.basalt.cli.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.cli.BasaltCli;
import io.basalt.cli.output.JsonReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
      assertThat(table[1].lines().toList()).hasSize(3);
      assertThat(table[1]).startsWith("ROLE   INDEX  PID    CID  ADDRESS").contains("dead").contains("running");

      String[] json = run("local", "status", "--dir", tmp.toString(), "--json");
      assertThat(json[0]).isEqualTo("0");
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> rows = (List<Map<String, Object>>) JsonReader.parseObject("{\"rows\": " + json[1]
          + "}").get("rows");
      assertThat(rows).hasSize(2);
      for (Map<String, Object> row : rows) {
        assertThat(row).containsOnlyKeys("role", "index", "pid", "cid", "address", "state");
      }
      assertThat(rows.get(0)).containsEntry("role", "meta").containsEntry("state", "dead").containsEntry("cid", null);
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
        Integer.toString(base), "--wait", "20s");
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
    try (ServerSocket busy = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      int base = busy.getLocalPort() - LocalLayout.ZK_PORT;
      String[] r = run("local", "up", "--dir", tmp.toString(), "--jar", jar.toString(), "--base-port",
          Integer.toString(base));
      assertThat(r[0]).isEqualTo("1");
      assertThat(r[2]).startsWith("error: cannot start zookeeper: port " + busy.getLocalPort()
          + " (zookeeper client) on 127.0.0.1 is already in use");
    }
  }
}
