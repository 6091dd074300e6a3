package io.basalt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class BasaltCliTest {
  @TempDir
  Path tmp;

  record Result(int code, String out, String err) {}

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = BasaltCli.run(new PrintWriter(out), new PrintWriter(err), args);
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void badSizeIsAUsageErrorNamingTheValue() {
    Result r = run("volume", "create", "v1", "--size", "10X");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("Invalid value for option '--size'").contains("bad size '10X'");
    assertThat(r.out()).isEmpty();
  }

  @Test
  void badExtentSizeAndReplicasAreUsageErrors() {
    assertThat(run("volume", "create", "v1", "--size", "1G", "--extent-size", "3M").code()).isEqualTo(2);
    assertThat(run("volume", "create", "v1", "--size", "1G", "--extent-size", "512K").code()).isEqualTo(2);
    Result r = run("volume", "create", "v1", "--size", "1G", "--replicas", "5");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--replicas must be 1, 2 or 3");
    assertThat(run("volume", "create", "v/1", "--size", "1G").err()).contains("bad volume name");
    assertThat(run("volume", "resize", "v1", "--size", "0").code()).isEqualTo(2);
  }

  @Test
  void badDurationIsAUsageError() {
    Result r = run("volume", "ls", "--timeout", "soon");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("bad duration 'soon'");
  }

  @Test
  void unknownSubcommandIsAUsageError() {
    Result r = run("frobnicate");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("Unmatched argument").contains("frobnicate");
    assertThat(run("volume", "explode").code()).isEqualTo(2);
  }

  @Test
  void missingRequiredOptionIsAUsageError() {
    Result r = run("volume", "create", "v1");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("Missing required option: '--size=SIZE'");
    assertThat(run("volume", "show").err()).contains("Missing required parameter");
  }

  @Test
  void groupWithoutSubcommandIsAUsageError() {
    Result r = run("volume");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("Missing required subcommand").contains("create").contains("resize");
    assertThat(run().code()).isEqualTo(2);
  }

  @Test
  void localOptionsAreChecked() {
    Result r = run("local", "up", "--dir", tmp.toString(), "--chunks", "0");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--chunks must be between 1 and");
    assertThat(run("local", "up", "--dir", tmp.toString(), "--base-port", "-5").code()).isEqualTo(2);
    assertThat(run("local", "up", "--dir", tmp.toString(), "--wait", "0s").code()).isEqualTo(2);
  }

  @Test
  void localUpSessionFlagsAreCheckedBeforeAnythingStarts() {
    Result bad = run("local", "up", "--dir", tmp.toString(), "--session-timeout", "soon");
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).contains("Invalid value for option '--session-timeout'").contains("bad duration 'soon'");
    Result zero = run("local", "up", "--dir", tmp.toString(), "--keepalive-interval", "0ms");
    assertThat(zero.code()).isEqualTo(2);
    assertThat(zero.err()).contains("Invalid value for option '--keepalive-interval'")
        .contains("duration must be positive");
    Result tooShort = run("local", "up", "--dir", tmp.toString(), "--keepalive-interval", "500ms",
        "--session-timeout", "900ms");
    assertThat(tooShort.code()).isEqualTo(2);
    assertThat(tooShort.err()).startsWith("--session-timeout 900ms must be at least twice --keepalive-interval "
        + "500ms, so that a session survives one lost keepalive");
    Result againstDefault = run("local", "up", "--dir", tmp.toString(), "--session-timeout", "1s");
    assertThat(againstDefault.code()).isEqualTo(2);
    assertThat(againstDefault.err()).startsWith("--session-timeout 1s must be at least twice --keepalive-interval "
        + "1s (the default)");
    assertThat(tmp.resolve("cluster.json")).doesNotExist();
    assertThat(run("local", "up", "--help").out()).contains("--keepalive-interval=DURATION")
        .contains("--session-timeout=DURATION");
  }

  @Test
  void sessionAndClusterArgumentsAreChecked() {
    Result session = run("session");
    assertThat(session.code()).isEqualTo(2);
    assertThat(session.err()).contains("Missing required subcommand: one of ls");
    Result cluster = run("cluster");
    assertThat(cluster.code()).isEqualTo(2);
    assertThat(cluster.err()).contains("Missing required subcommand").contains("status").contains("confirm-expiry");
    Result extra = run("session", "ls", "cid-3");
    assertThat(extra.code()).isEqualTo(2);
    assertThat(extra.err()).contains("Unmatched argument").contains("cid-3");
    Result unknown = run("cluster", "status", "--verbose");
    assertThat(unknown.code()).isEqualTo(2);
    assertThat(unknown.err()).contains("Unknown option: '--verbose'");
    assertThat(run("cluster", "confirm-expiry", "3").code()).isEqualTo(2);
    assertThat(run("cluster", "status", "--timeout", "0s").code()).isEqualTo(2);
    assertThat(run("cluster", "explode").code()).isEqualTo(2);
  }

  @Test
  void sessionAndClusterCommandsReportAnUnreachableCluster() {
    for (String[] cmd : new String[][] {{"session", "ls"}, {"cluster", "status"}, {"cluster", "confirm-expiry"}}) {
      Result r = run(cmd[0], cmd[1], "--zk", "127.0.0.1:1", "--timeout", "1s");
      assertThat(r.code()).isEqualTo(1);
      assertThat(r.err()).startsWith("error: UNAVAILABLE: cannot reach ZooKeeper at 127.0.0.1:1");
      assertThat(r.out()).isEmpty();
    }
    Result noState = run("cluster", "status", "--dir", tmp.toString());
    assertThat(noState.code()).isEqualTo(1);
    assertThat(noState.err()).startsWith("error: no local cluster at " + tmp);
  }

  @Test
  void helpListsTheCommandGroups() {
    Result r = run("--help");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("local").contains("volume").contains("chunk").contains("extent")
        .contains("cluster").contains("session").contains("recovery").contains("quarantine");
    assertThat(run("quarantine", "--help").out()).contains("ls").contains("rm");
    assertThat(run("cluster", "--help").out()).contains("status").contains("confirm-expiry");
    assertThat(run("session", "ls", "--help").out()).contains("--json");
    assertThat(run("volume", "create", "--help").out()).contains("--extent-size");
  }

  @Test
  void withoutStateFileTheClusterCannotBeFound() {
    Result r = run("volume", "ls", "--dir", tmp.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).startsWith("error: no local cluster at " + tmp).contains("--zk HOST:PORT");
  }

  @Test
  void unreachableZooKeeperIsAClusterError() {
    Result r = run("chunk", "ls", "--zk", "127.0.0.1:1", "--timeout", "1s");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).startsWith("error: UNAVAILABLE: cannot reach ZooKeeper at 127.0.0.1:1");
  }

  @Test
  void localStatusAndDownWithoutCluster() {
    Result status = run("local", "status", "--dir", tmp.toString());
    assertThat(status.code()).isEqualTo(1);
    assertThat(status.err()).startsWith("error: no local cluster at");
    Result down = run("local", "down", "--dir", tmp.toString());
    assertThat(down.code()).isZero();
    assertThat(down.out()).contains("nothing to stop");
  }
}
