package io.basalt.cli.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.basalt.cli.core.CliException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterStateFileTest {
  @TempDir
  Path tmp;

  @Test
  void roundTripsEveryField() {
    Path odd = tmp.resolve("dir with \"quotes\", \\backslash\\ and é");
    ClusterState s = new ClusterState("local", "127.0.0.1:2181", 100, 2, "/opt/basalt.jar", List.of(
        new ProcessRecord(Role.NBD, 0, 0, null, "127.0.0.1:10909", "127.0.0.1:9290", null, odd + "/nbd.log"),
        new ProcessRecord(Role.CHUNK, 2, 4_000_000_000L, 7, "127.0.0.1:7202", "127.0.0.1:9202",
            odd + "/chunk-2", odd + "/logs/chunk-2.log"),
        new ProcessRecord(Role.ZOOKEEPER, 0, 123, null, "127.0.0.1:2281", null, odd + "/zk", odd + "/zk.log")));
    ClusterStateFile.write(odd, s);
    ClusterState back = ClusterStateFile.read(odd).orElseThrow();
    assertThat(back).isEqualTo(s);
    // kept in start order whatever order they were added in
    assertThat(back.processes()).extracting(ProcessRecord::name).containsExactly("zookeeper", "chunk-2", "nbd");
    assertThat(Files.exists(odd.resolve("cluster.json.tmp"))).isFalse();
  }

  @Test
  void roundTripsSessionTimingsAndReadsFilesWithoutThem() throws Exception {
    ClusterState s = new ClusterState("local", "127.0.0.1:2181", 0, 1, null, List.of(),
        new SessionTimings(Duration.ofMillis(500), Duration.ofMillis(3000)));
    ClusterStateFile.write(tmp, s);
    assertThat(Files.readString(ClusterStateFile.path(tmp)))
        .contains("\"keepaliveInterval\": \"500ms\"").contains("\"sessionTimeout\": \"3s\"");
    assertThat(ClusterStateFile.read(tmp).orElseThrow()).isEqualTo(s);
    ClusterState onlyTimeout = s.with(new ProcessRecord(Role.META, 0, 1, null, "h:1", null, null, "/l"));
    assertThat(onlyTimeout.sessions()).isEqualTo(s.sessions()); // kept by with()

    // written before the fields existed: the servers' defaults
    Files.writeString(ClusterStateFile.path(tmp), "{\"version\": 1, \"cluster\": \"local\", \"zk\": \"h:2181\","
        + " \"basePort\": 0, \"chunks\": 3, \"processes\": []}");
    assertThat(ClusterStateFile.read(tmp).orElseThrow().sessions()).isEqualTo(SessionTimings.DEFAULTS);
    ClusterStateFile.write(tmp, new ClusterState("local", "h:2181", 0, 3, null, List.of()));
    assertThat(Files.readString(ClusterStateFile.path(tmp))).contains("\"sessionTimeout\": null");
    assertThat(ClusterStateFile.read(tmp).orElseThrow().sessions()).isEqualTo(SessionTimings.DEFAULTS);
    Files.writeString(ClusterStateFile.path(tmp), "{\"version\": 1, \"cluster\": \"local\", \"zk\": \"h:2181\","
        + " \"basePort\": 0, \"chunks\": 3, \"sessionTimeout\": \"soon\", \"processes\": []}");
    assertThatThrownBy(() -> ClusterStateFile.read(tmp)).isInstanceOf(CliException.class)
        .hasMessageContaining("corrupt state file").hasMessageContaining("bad duration 'soon'");
  }

  @Test
  void recordsHowManyZooKeeperAndMetaServersAndReadsOldFilesAsOneOfEach() throws Exception {
    ClusterState s = new ClusterState("local", "h:2181,h:2182,h:2183", 0, 3, null, List.of(
        new ProcessRecord(Role.META, 2, 5, null, "h:7001", "h:9182", null, "/l/meta-2.log"),
        new ProcessRecord(Role.ZOOKEEPER, 3, 6, null, "h:2183", null, "/d/zk-3", "/l/zookeeper-3.log")),
        SessionTimings.DEFAULTS, 3, 2);
    ClusterStateFile.write(tmp, s);
    assertThat(Files.readString(ClusterStateFile.path(tmp))).contains("\"zookeepers\": 3").contains("\"metas\": 2");
    ClusterState back = ClusterStateFile.read(tmp).orElseThrow();
    assertThat(back).isEqualTo(s);
    assertThat(back.processes()).extracting(ProcessRecord::name).containsExactly("zookeeper-3", "meta-2");
    assertThat(back.with(back.processes().get(0).withPid(9)).zookeepers()).isEqualTo(3);

    // written before ensembles: one standalone ZooKeeper, one meta
    Files.writeString(ClusterStateFile.path(tmp), "{\"version\": 1, \"cluster\": \"local\", \"zk\": \"h:2181\","
        + " \"basePort\": 0, \"chunks\": 3, \"processes\": [{\"role\": \"meta\", \"index\": 0, \"pid\": 0,"
        + " \"cid\": null, \"address\": \"h:7000\", \"logFile\": \"/l/meta.log\"}]}");
    ClusterState old = ClusterStateFile.read(tmp).orElseThrow();
    assertThat(old.zookeepers()).isEqualTo(1);
    assertThat(old.metas()).isEqualTo(1);
    assertThat(old.processes()).extracting(ProcessRecord::name).containsExactly("meta");
  }

  @Test
  void missingFileIsEmptyAndCorruptFileIsAClearError() throws Exception {
    assertThat(ClusterStateFile.read(tmp)).isEmpty();
    Files.writeString(ClusterStateFile.path(tmp), "{\"version\": 1, \"cluster\": \"local\"");
    assertThatThrownBy(() -> ClusterStateFile.read(tmp)).isInstanceOf(CliException.class)
        .hasMessageContaining("corrupt state file");
    Files.writeString(ClusterStateFile.path(tmp), "{\"version\": 9}");
    assertThatThrownBy(() -> ClusterStateFile.read(tmp)).hasMessageContaining("unsupported version 9");
  }

  @Test
  void withReplacesTheRecordInTheSameSlot() {
    ProcessRecord c1 = new ProcessRecord(Role.CHUNK, 1, 10, null, "h:1", null, "/d/chunk-1", "/l");
    ClusterState s = new ClusterState("local", "h:2181", 0, 1, null, List.of(c1));
    ClusterState next = s.with(c1.withPid(11).withCid(3));
    assertThat(next.processes()).hasSize(1);
    assertThat(next.find(Role.CHUNK, 1).orElseThrow().pid()).isEqualTo(11);
    assertThat(next.find(Role.CHUNK, 1).orElseThrow().cid()).isEqualTo(3);
    assertThat(ClusterStateFile.parse(ClusterStateFile.format(next))).isEqualTo(next);
  }
}
