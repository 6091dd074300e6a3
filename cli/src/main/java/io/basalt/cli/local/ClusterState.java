package io.basalt.cli.local;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@code basalt local up} recorded about a local cluster (DIR/cluster.json): where ZooKeeper is (the connect
 * string of every server), which ports it uses, which jar launched it, the session timings its meta and chunk
 * servers were given, how many ZooKeeper and meta servers it has and every process. Immutable; {@link #with}
 * returns a copy.
 */
public record ClusterState(String cluster, String zk, int basePort, int chunks, String jar,
    List<ProcessRecord> processes, SessionTimings sessions, int zookeepers, int metas) {
  public static final int VERSION = 1;

  public ClusterState {
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(zk, "zk");
    processes = processes.stream()
        .sorted(Comparator.comparing(ProcessRecord::role).thenComparingInt(ProcessRecord::index))
        .toList();
    sessions = sessions == null ? SessionTimings.DEFAULTS : sessions;
  }

  /** One standalone ZooKeeper and one meta server (every cluster before ensembles). */
  public ClusterState(String cluster, String zk, int basePort, int chunks, String jar,
      List<ProcessRecord> processes, SessionTimings sessions) {
    this(cluster, zk, basePort, chunks, jar, processes, sessions, 1, 1);
  }

  /** With the servers' default session timings. */
  public ClusterState(String cluster, String zk, int basePort, int chunks, String jar,
      List<ProcessRecord> processes) {
    this(cluster, zk, basePort, chunks, jar, processes, SessionTimings.DEFAULTS);
  }

  public Optional<ProcessRecord> find(Role role, int index) {
    return processes.stream().filter(p -> p.role() == role && p.index() == index).findFirst();
  }

  /** A copy with {@code record} replacing the one in the same slot (role, index), or added. */
  public ClusterState with(ProcessRecord record) {
    List<ProcessRecord> next = new ArrayList<>(processes.size() + 1);
    for (ProcessRecord p : processes) {
      if (!p.sameSlot(record)) {
        next.add(p);
      }
    }
    next.add(record);
    return new ClusterState(cluster, zk, basePort, chunks, jar, next, sessions, zookeepers, metas);
  }

  public List<ProcessRecord> ofRole(Role role) {
    return processes.stream().filter(p -> p.role() == role).toList();
  }
}
