package io.basalt.cli.local;

import io.basalt.cli.status.Membership;
import java.time.Duration;
import java.util.Optional;

/**
 * What {@code local status} adds to each ZooKeeper and meta process: its part in the election, asked the way
 * {@code cluster status} asks ({@code srvr} for ZooKeeper members, MetaInfo for meta servers). Dead processes and
 * other roles have none. Asked only when a ZooKeeper server of the directory runs, with a short deadline, so a
 * stopped cluster's status stays instant.
 */
final class LocalMembers {
  static final Duration DEADLINE = Duration.ofSeconds(1);
  private static final LocalMembers NONE = new LocalMembers(null);

  private final Membership membership;

  private LocalMembers(Membership membership) {
    this.membership = membership;
  }

  static LocalMembers probe(ClusterState state) {
    boolean zkRunning = state.ofRole(Role.ZOOKEEPER).stream().anyMatch(LocalProcesses::isRunning);
    return zkRunning ? new LocalMembers(Membership.probe(state.zk(), state.cluster(), DEADLINE)) : NONE;
  }

  /** {@code leader}, {@code follower}, ... for a running ZooKeeper or meta server; null otherwise. */
  String stateOf(ProcessRecord r) {
    if (membership == null || !LocalProcesses.isRunning(r)) {
      return null;
    }
    return switch (r.role()) {
      case ZOOKEEPER -> membership.zookeepers().stream().filter(m -> m.address().equals(r.address()))
          .map(Membership.Member::state).findFirst().orElse(null);
      case META -> meta(r).map(Membership.Meta::state).orElse(null);
      default -> null;
    };
  }

  /** The meta epoch a running meta server leads under (0 when it follows); null for anything else. */
  Long epochOf(ProcessRecord r) {
    if (membership == null || r.role() != Role.META || !LocalProcesses.isRunning(r)) {
      return null;
    }
    return meta(r).map(Membership.Meta::epoch).orElse(null);
  }

  private Optional<Membership.Meta> meta(ProcessRecord r) {
    return membership.metas().stream().filter(m -> m.address().equals(r.address())).findFirst();
  }

  /** One line: the published meta leader and the epoch it leads under. */
  String summary() {
    if (membership == null) {
      return "meta leader: none (no ZooKeeper server running)";
    }
    return "meta leader: " + (membership.active() == null ? "none" : membership.active()) + ", meta epoch "
        + membership.highestEpoch();
  }
}
