package io.basalt.cli.local;

import java.time.Duration;
import java.util.List;

/** A local cluster's state as {@code local up} records it, for the JSON of the state file and of {@code local status}. */
final class LocalJsonSamples {
  private LocalJsonSamples() {}

  /** Every process dead (pid 0), so {@code local status} asks nothing and its output is fixed. */
  static ClusterState state(SessionTimings sessions) {
    return new ClusterState("local", "127.0.0.1:2181,127.0.0.1:2182", 0, 2, "/opt/basalt \"x\"/basalt.jar",
        List.of(
            new ProcessRecord(Role.ZOOKEEPER, 1, 0, null, "127.0.0.1:2181", null, "/run/zk-1", "/run/logs/zk-1.log"),
            new ProcessRecord(Role.ZOOKEEPER, 2, 0, null, "127.0.0.1:2182", null, "/run/zk-2", "/run/logs/zk-2.log"),
            new ProcessRecord(Role.META, 1, 0, null, "127.0.0.1:7000", "127.0.0.1:9100", "/run/meta-1",
                "/run/logs/meta-1.log"),
            new ProcessRecord(Role.CHUNK, 1, 0, 4, "127.0.0.1:7101", "127.0.0.1:9101", "/run/chunk-1",
                "/run/logs/chunk\t1.log"),
            new ProcessRecord(Role.CHUNK, 2, 0, null, "127.0.0.1:7102", null, null, "/run/logs/chunk-2.log")),
        sessions, 2, 1);
  }

  static ClusterState withFlags() {
    return state(new SessionTimings(Duration.ofMillis(500), Duration.ofSeconds(3)));
  }

  static ClusterState withDefaults() {
    return state(null);
  }
}
