package io.basalt.cli.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class LocalProcessesTest {
  @TempDir
  Path tmp;

  /** A stand-in server: a bash loop whose command line names the chunk main class and its data directory. */
  static ProcessRecord startFake(Path tmp, int index, boolean ignoreTerm) {
    Path dataDir = tmp.resolve("chunk-" + index);
    Path log = tmp.resolve("logs/chunk-" + index + ".log");
    String trap = ignoreTerm ? "trap '' TERM" : "trap 'exit 0' TERM";
    long pid = LocalProcesses.start(List.of("bash", "-c", trap + "; echo ready; while :; do sleep 0.1; done",
        Role.CHUNK.mainClass(), dataDir.toString()), tmp, log);
    awaitReady(log);
    return new ProcessRecord(Role.CHUNK, index, pid, null, "127.0.0.1:1", null, dataDir.toString(), log.toString());
  }

  private static void awaitReady(Path log) {
    Awaitility.await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
        .until(() -> Files.readAllLines(log).contains("ready"));
  }

  @Test
  void startsDetachedRecognisesAndStops() throws Exception {
    ProcessRecord r = startFake(tmp, 1, false);
    assertThat(LocalProcesses.isRunning(r)).isTrue();
    // detached: it leads its own session (setsid), so the terminal's Ctrl-C and hang-up do not reach it
    String stat = Files.readString(Path.of("/proc/" + r.pid() + "/stat"));
    long sid = Long.parseLong(stat.substring(stat.lastIndexOf(") ") + 2).split(" ")[3]);
    assertThat(sid).isEqualTo(r.pid());
    assertThat(Files.readString(Path.of(r.logFile()))).contains("=== basalt local: starting").contains("ready");

    assertThat(LocalProcesses.stop(List.of(r), Duration.ofSeconds(5))).isEmpty();
    assertThat(LocalProcesses.isRunning(r)).isFalse();
  }

  @Test
  void killsWhatIgnoresSigterm() {
    ProcessRecord r = startFake(tmp, 2, true);
    assertThat(LocalProcesses.stop(List.of(r), Duration.ofMillis(500))).containsExactly("chunk-2");
    assertThat(LocalProcesses.isRunning(r)).isFalse();
  }

  @Test
  void aLivePidRunningSomethingElseIsNotOurs() {
    ProcessRecord self = new ProcessRecord(Role.META, 0, ProcessHandle.current().pid(), null, "127.0.0.1:7000",
        null, null, "/x.log");
    assertThat(LocalProcesses.isRunning(self)).isFalse();
    assertThat(LocalProcesses.isRunning(self.withPid(0))).isFalse();
    // chunk-1's directory is a prefix of chunk-10's: still not the same process
    ProcessRecord ten = startFake(tmp, 10, false);
    ProcessRecord one = new ProcessRecord(Role.CHUNK, 1, ten.pid(), null, "127.0.0.1:1", null,
        tmp.resolve("chunk-1").toString(), "/x.log");
    assertThat(LocalProcesses.isRunning(one)).isFalse();
    assertThat(LocalProcesses.isRunning(ten)).isTrue();
    LocalProcesses.stop(List.of(ten), Duration.ofSeconds(5));
  }

  @Test
  void tailReadsTheLastLines() throws Exception {
    Path f = tmp.resolve("t.log");
    Files.writeString(f, "a\nb\nc\nd\n");
    assertThat(LocalProcesses.tail(f, 2)).containsExactly("c", "d");
    assertThat(LocalProcesses.tail(f, 10)).containsExactly("a", "b", "c", "d");
    assertThat(LocalProcesses.tail(tmp.resolve("missing"), 3)).isEmpty();
  }
}
