package io.basalt.meta.state;

import java.util.EnumSet;
import java.util.Set;

/**
 * Where this meta server stands in the election (DESIGN.md "Meta leadership and failover").
 * FOLLOWER answers NOT_LEADER; LOADING (epoch bumped, tables loading), SUSPENDED (ZooKeeper connection
 * suspended: no mutation may go out) and VERIFYING (after a pause of its own scheduling or a reconnect: no
 * decision until a ZooKeeper sync confirms it still leads) answer NOT_READY, which is retryable; ACTIVE serves.
 */
public enum LeadershipState {
  FOLLOWER,
  LOADING,
  ACTIVE,
  SUSPENDED,
  VERIFYING;

  /** States this one may be entered from. */
  Set<LeadershipState> allowedFrom() {
    return switch (this) {
      case FOLLOWER -> EnumSet.of(LOADING, ACTIVE, SUSPENDED, VERIFYING);
      case LOADING -> EnumSet.of(FOLLOWER);
      case ACTIVE -> EnumSet.of(LOADING, VERIFYING);
      case SUSPENDED -> EnumSet.of(ACTIVE, VERIFYING);
      case VERIFYING -> EnumSet.of(ACTIVE, SUSPENDED);
    };
  }
}
