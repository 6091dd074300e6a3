package io.basalt.meta.service;

import java.util.EnumSet;
import java.util.Set;

/**
 * Where this meta server stands in the election (DESIGN.md "Meta leadership and failover").
 * FOLLOWER answers NOT_LEADER; LOADING (epoch bumped, tables loading) and SUSPENDED (ZooKeeper connection
 * suspended: no mutation may go out) answer NOT_READY, which is retryable; ACTIVE serves.
 */
public enum LeadershipState {
  FOLLOWER,
  LOADING,
  ACTIVE,
  SUSPENDED;

  /** States this one may be entered from. */
  Set<LeadershipState> allowedFrom() {
    return switch (this) {
      case FOLLOWER -> EnumSet.of(LOADING, ACTIVE, SUSPENDED);
      case LOADING -> EnumSet.of(FOLLOWER);
      case ACTIVE -> EnumSet.of(LOADING, SUSPENDED);
      case SUSPENDED -> EnumSet.of(ACTIVE);
    };
  }
}
