package io.basalt.meta.state;

import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.NotLeaderException;
import java.util.function.Supplier;

/**
 * The answer a meta server gives when it may not serve: NOT_LEADER with the leader's address when it is a
 * follower, NOT_READY (retryable) while loading, while its ZooKeeper connection is suspended, or while it verifies its
 * leadership after a pause. Any thread.
 */
final class LeaderGate {
  private final String id;
  private final Supplier<String> leaderHint;

  LeaderGate(String id, Supplier<String> leaderHint) {
    this.id = id;
    this.leaderHint = leaderHint;
  }

  BasaltException refusal(LeadershipState state) {
    return switch (state) {
      case FOLLOWER -> notLeader();
      case LOADING -> new BasaltException(ErrorCode.NOT_READY, "meta leader is loading its tables", true);
      case SUSPENDED, ACTIVE ->
          new BasaltException(ErrorCode.NOT_READY, "meta leader lost its zookeeper connection; retry", true);
      case VERIFYING -> new BasaltException(ErrorCode.NOT_READY,
          "meta leader is confirming its leadership with zookeeper after a pause; retry", true);
    };
  }

  /** NOT_LEADER naming the leader ("" when unknown, or when the stale hint still names us). */
  NotLeaderException notLeader() {
    String hint = leaderHint.get();
    return new NotLeaderException(hint == null || hint.equals(id) ? "" : hint, "not the meta leader");
  }
}
