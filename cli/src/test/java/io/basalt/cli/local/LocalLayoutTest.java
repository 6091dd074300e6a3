package io.basalt.cli.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class LocalLayoutTest {
  private final Path dir = Path.of("/work/run/local");

  @Test
  void defaultPorts() {
    LocalLayout l = new LocalLayout(dir, 0, 3);
    assertThat(l.processes()).extracting(ProcessSpec::name)
        .containsExactly("zookeeper", "meta", "chunk-1", "chunk-2", "chunk-3", "nbd");
    assertThat(l.processes()).extracting(ProcessSpec::ports).containsExactly(
        List.of(2181), List.of(7000, 9100), List.of(7101, 9101), List.of(7102, 9102), List.of(7103, 9103),
        List.of(10809, 9190));
    assertThat(l.zkAddress()).isEqualTo("127.0.0.1:2181");
    assertThat(l.nbdUri("demo")).isEqualTo("nbd://127.0.0.1:10809/demo");
  }

  @Test
  void basePortShiftsEveryPort() {
    LocalLayout l = new LocalLayout(dir, 1000, 2);
    assertThat(l.processes()).flatExtracting(ProcessSpec::ports)
        .containsExactly(3181, 8000, 10100, 8101, 10101, 8102, 10102, 11809, 10190);
    assertThat(l.meta().args()).containsSequence("--zk", "127.0.0.1:3181");
    assertThat(l.nbdUri("demo")).isEqualTo("nbd://127.0.0.1:11809/demo");
  }

  @Test
  void commandLinesAreTheAgreedOnes() {
    LocalLayout l = new LocalLayout(dir, 0, 1);
    Path jar = Path.of("/opt/basalt.jar");
    assertThat(l.zookeeper().command("java", jar)).doesNotContain("-XX:+UseG1GC");
    assertThat(l.zookeeper().command("java", jar)).containsSubsequence("java", "-Xmx128m", "-XX:+UseSerialGC",
        "-cp", "/opt/basalt.jar", "io.basalt.meta.zk.EmbeddedZooKeeperMain",
        "--dir", "/work/run/local/zk", "--host", "127.0.0.1", "--port", "2181");
    assertThat(l.meta().command("java", jar)).containsSubsequence("-Xmx256m", "io.basalt.meta.MetaServerMain",
        "--zk", "127.0.0.1:2181", "--cluster", "local", "--listen", "127.0.0.1:7000", "--metrics-port", "9100");
    assertThat(l.chunk(1).command("java", jar)).containsSubsequence("-Xmx512m", "io.basalt.chunk.ChunkServerMain",
        "--zk", "127.0.0.1:2181", "--cluster", "local", "--dir", "/work/run/local/chunk-1",
        "--listen", "127.0.0.1:7101", "--metrics-port", "9101");
    assertThat(l.nbd().command("java", jar)).containsSubsequence("-Xmx512m", "io.basalt.client.NbdServerMain",
        "--zk", "127.0.0.1:2181", "--cluster", "local", "--listen", "127.0.0.1:10809", "--metrics-port", "9190");
    assertThat(l.chunk(1).logFile()).isEqualTo(Path.of("/work/run/local/logs/chunk-1.log"));
    assertThat(l.meta().logFile()).isEqualTo(Path.of("/work/run/local/logs/meta.log"));
    assertThat(l.chunk(1).command("java", jar)).contains("-Dbasalt.log.file=/work/run/local/logs/chunk-1.log");
  }

  @Test
  void sessionFlagsGoToMetaAndEveryChunkOnlyWhenGiven() {
    Path jar = Path.of("/opt/basalt.jar");
    LocalLayout plain = new LocalLayout(dir, 0, 2);
    for (ProcessSpec p : plain.processes()) {
      assertThat(p.command("java", jar)).doesNotContain("--keepalive-interval", "--session-timeout");
    }
    LocalLayout both = new LocalLayout(dir, 0, 2,
        new SessionTimings(Duration.ofMillis(500), Duration.ofSeconds(3)));
    assertThat(both.meta().command("java", jar)).containsSubsequence("io.basalt.meta.MetaServerMain",
        "--metrics-port", "9100", "--keepalive-interval", "500ms", "--session-timeout", "3s");
    assertThat(both.chunk(1).args()).endsWith("--keepalive-interval", "500ms", "--session-timeout", "3s");
    assertThat(both.chunk(2).args()).endsWith("--keepalive-interval", "500ms", "--session-timeout", "3s");
    assertThat(both.zookeeper().args()).doesNotContain("--keepalive-interval", "--session-timeout");
    assertThat(both.nbd().args()).doesNotContain("--keepalive-interval", "--session-timeout");
    LocalLayout timeoutOnly = new LocalLayout(dir, 0, 1, new SessionTimings(null, Duration.ofMillis(2500)));
    assertThat(timeoutOnly.meta().args()).endsWith("--metrics-port", "9100", "--session-timeout", "2500ms")
        .doesNotContain("--keepalive-interval");
    assertThat(timeoutOnly.chunk(1).args()).endsWith("--session-timeout", "2500ms");
  }

  @Test
  void recordsCarryAddressesAndDirectories() {
    ProcessRecord r = new LocalLayout(dir, 0, 1).chunk(1).toRecord(42, 5);
    assertThat(r).isEqualTo(new ProcessRecord(Role.CHUNK, 1, 42, 5, "127.0.0.1:7101", "127.0.0.1:9101",
        "/work/run/local/chunk-1", "/work/run/local/logs/chunk-1.log"));
    assertThat(new LocalLayout(dir, 0, 1).zookeeper().toRecord(1, null).metricsAddress()).isNull();
  }

  @Test
  void anEnsembleAndSeveralMetasGetTheirOwnPortsDirectoriesAndLogs() {
    LocalLayout l = new LocalLayout(dir, 0, 2, null, 3, 3);
    assertThat(l.processes()).extracting(ProcessSpec::name).containsExactly("zookeeper-1", "zookeeper-2",
        "zookeeper-3", "meta-1", "meta-2", "meta-3", "chunk-1", "chunk-2", "nbd");
    assertThat(l.processes()).extracting(ProcessSpec::ports).containsExactly(
        List.of(2181, 2888, 3888), List.of(2182, 2889, 3889), List.of(2183, 2890, 3890),
        List.of(7000, 9100), List.of(7001, 9182), List.of(7002, 9183),
        List.of(7101, 9101), List.of(7102, 9102), List.of(10809, 9190));
    assertThat(l.processes()).flatExtracting(ProcessSpec::ports).doesNotHaveDuplicates();
    String connect = "127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183";
    assertThat(l.zkAddress()).isEqualTo(connect);
    assertThat(l.zookeeper(2).args()).containsExactly("--dir", "/work/run/local/zk-2", "--id", "2", "--ensemble",
        "127.0.0.1:2181:2888:3888,127.0.0.1:2182:2889:3889,127.0.0.1:2183:2890:3890");
    assertThat(l.zookeeper(2).dataDir()).isEqualTo(Path.of("/work/run/local/zk-2"));
    assertThat(l.zookeeper(3).logFile()).isEqualTo(Path.of("/work/run/local/logs/zookeeper-3.log"));
    assertThat(l.zookeeper(1).portsWithPurpose()).containsExactly("2181 (zookeeper-1 client)",
        "2888 (zookeeper-1 quorum)", "3888 (zookeeper-1 election)");
    for (ProcessSpec p : List.of(l.meta(1), l.meta(3), l.chunk(2), l.nbd())) {
      assertThat(p.args()).as(p.name()).containsSequence("--zk", connect);
    }
    assertThat(l.meta(2).args()).containsSequence("--listen", "127.0.0.1:7001", "--metrics-port", "9182");
    assertThat(l.meta(2).logFile()).isEqualTo(Path.of("/work/run/local/logs/meta-2.log"));
    assertThat(l.meta(2).toRecord(7, null).name()).isEqualTo("meta-2");

    LocalLayout shifted = new LocalLayout(dir, 1000, 1, null, 3, 2);
    assertThat(shifted.processes()).flatExtracting(ProcessSpec::ports).containsExactly(3181, 3888, 4888, 3182,
        3889, 4889, 3183, 3890, 4890, 8000, 10100, 8001, 10182, 8101, 10101, 11809, 10190);

    // one of each: the layout of every cluster before ensembles (index 0, the old names, ports and directories)
    LocalLayout mixed = new LocalLayout(dir, 0, 1, null, 1, 3);
    assertThat(mixed.processes()).extracting(ProcessSpec::name).startsWith("zookeeper", "meta-1", "meta-2");
    assertThat(mixed.meta(1).args()).containsSequence("--zk", "127.0.0.1:2181");
  }

  @Test
  void rejectsBadCountsAndOffsets() {
    assertThatThrownBy(() -> new LocalLayout(dir, 0, 3, null, 2, 3)).hasMessage("--zk must be 1 (a standalone "
        + "ZooKeeper) or 3 (an ensemble that survives one failure), not 2");
    assertThatThrownBy(() -> new LocalLayout(dir, 0, 3, null, 3, 0)).hasMessageContaining("--metas must be between");
    assertThatThrownBy(() -> new LocalLayout(dir, 0, 3, null, 3, 6)).hasMessageContaining("--metas must be between");
    assertThatThrownBy(() -> new LocalLayout(dir, 0, 0)).hasMessageContaining("--chunks");
    assertThatThrownBy(() -> new LocalLayout(dir, 0, 81)).hasMessageContaining("--chunks");
    assertThatThrownBy(() -> new LocalLayout(dir, 60000, 3)).hasMessageContaining("--base-port");
  }
}
