package io.basalt.tester;

import io.basalt.it.cluster.ClusterNode;
import java.util.Optional;

/**
 * One planned failure, its target chosen: {@link #inject()} does it, {@link #settle()} waits while it lasts (until
 * the cluster has reacted, or for the fault's planned length), {@link #recover()} undoes it (restart, SIGCONT, heal,
 * free the disk). The tester calls them in that order, once each.
 */
abstract class Fault {
  private final String description;

  Fault(String description) {
    this.description = description;
  }

  /** What the log says it injects: {@code kill -9 the lease owner (chunk-2, cid=3) of extent 4}. */
  final String description() {
    return description;
  }

  /** The process it hits, if one (a second fault is kept off it). */
  Optional<ClusterNode> node() {
    return Optional.empty();
  }

  abstract void inject() throws Exception;

  /** Waits while the fault lasts; returns what it saw (logged), e.g. "replica left extent 4 after 2310 ms". */
  abstract String settle() throws Exception;

  abstract void recover() throws Exception;
}
