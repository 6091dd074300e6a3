package io.basalt.chunk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.basalt.common.HostPort;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Command line parsing, and one real chunk server process started through main against a fake meta. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ChunkServerMainTest {
  @TempDir Path dir;

  @Test
  void parsesOptions() {
    ChunkServerMain main = new ChunkServerMain();
    new CommandLine(main).parseArgs("--zk", "zk1:2181", "--cluster", "c1", "--dir", dir.toString(),
        "--listen", "0.0.0.0:7100", "--zone", "z2", "--metrics-port", "9100", "--sync-every-write", "--test-mode",
        "--recovery-busy-share", "0.5", "--quarantine-retention", "48h");
    ChunkConfig cfg = main.config();

    assertThat(cfg.zk()).isEqualTo("zk1:2181");
    assertThat(cfg.cluster()).isEqualTo("c1");
    assertThat(cfg.meta()).isNull();
    assertThat(cfg.listen()).isEqualTo(new HostPort("0.0.0.0", 7100));
    assertThat(cfg.zone()).isEqualTo("z2");
    assertThat(cfg.metricsPort()).isEqualTo(9100);
    assertThat(cfg.syncEveryWrite()).isTrue();
    assertThat(cfg.testMode()).isTrue();
    assertThat(cfg.recoveryBusyShare()).isEqualTo(0.5);
    assertThat(cfg.quarantineRetention()).isEqualTo(Duration.ofHours(48));
  }

  @Test
  void defaultsAndExclusiveMetaOptions() {
    ChunkServerMain main = new ChunkServerMain();
    new CommandLine(main).parseArgs("--meta", "127.0.0.1:7000", "--dir", dir.toString());
    ChunkConfig cfg = main.config();
    assertThat(cfg.listen()).isEqualTo(new HostPort("127.0.0.1", 0));
    assertThat(cfg.cluster()).isEqualTo("local");
    assertThat(cfg.zone()).isEqualTo("default");
    assertThat(cfg.metricsPort()).isZero();
    assertThat(cfg.syncEveryWrite()).isFalse();
    assertThat(cfg.recoveryBusyShare()).isEqualTo(ChunkConfig.DEFAULT_RECOVERY_BUSY_SHARE);
    assertThat(cfg.quarantineRetention()).isEqualTo(Duration.ofDays(7));

    for (String bad : new String[] {"0", "1.5", "-0.1"}) {
      ChunkServerMain share = new ChunkServerMain();
      new CommandLine(share).parseArgs("--meta", "h:1", "--dir", dir.toString(), "--recovery-busy-share", bad);
      assertThatThrownBy(share::config).isInstanceOf(CommandLine.ParameterException.class)
          .hasMessageContaining("recoveryBusyShare must be in (0, 1]");
    }

    ChunkServerMain both = new ChunkServerMain();
    new CommandLine(both).parseArgs("--meta", "h:1", "--zk", "h:2", "--dir", dir.toString());
    assertThatThrownBy(both::config).isInstanceOf(CommandLine.ParameterException.class);
    assertThat(new CommandLine(new ChunkServerMain()).execute("--meta", "h:1")).isNotZero(); // --dir missing
  }

  @Test
  void processPrintsReadyLineAndStopsOnSigterm() throws Exception {
    try (FakeMeta meta = new FakeMeta()) {
      Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"), ChunkServerMain.class.getName(),
          "--meta", meta.address(), "--dir", dir.resolve("data").toString()))
          .redirectErrorStream(true).start();
      try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
          StandardCharsets.UTF_8))) {
        String line;
        String ready = null;
        while (ready == null && (line = out.readLine()) != null) {
          if (line.startsWith("chunk server ready cid=")) ready = line;
        }
        assertThat(ready).matches("chunk server ready cid=1 at 127\\.0\\.0\\.1:\\d+");
        assertThat(meta.registrations()).containsExactly(1);
        p.destroy();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      } finally {
        p.destroyForcibly();
      }
    }
  }
}
