package io.basalt.chunk.store;

import static io.basalt.proto.ReplicaState.ACTIVE;
import static io.basalt.proto.ReplicaState.QUARANTINED;
import static io.basalt.proto.ReplicaState.RECOVERING;
import static io.basalt.proto.ReplicaState.STALE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.basalt.proto.ReplicaState;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReplicaTransitionsTest {
  /**
   * Every state change the chunk makes (RecoveringReplicas.promote/afterRestart, HeartbeatLoop, ReplicaQuarantine).
   */
  private static final Set<List<ReplicaState>> LEGAL = Set.of(
      List.of(RECOVERING, ACTIVE),
      List.of(RECOVERING, STALE),
      List.of(ACTIVE, STALE),
      List.of(ACTIVE, QUARANTINED),
      List.of(RECOVERING, QUARANTINED),
      List.of(STALE, RECOVERING),
      List.of(ACTIVE, RECOVERING));
  private static final List<ReplicaState> STATES = List.of(ACTIVE, RECOVERING, STALE, QUARANTINED);

  private static ReplicaMeta replica(ReplicaState state) {
    return new ReplicaMeta(7, 3, 12, state, state == RECOVERING ? 5 : 0);
  }

  @Test
  void everyLegalMovePassesAndKeepsTheRestOfTheMeta() {
    for (List<ReplicaState> move : LEGAL) {
      ReplicaMeta m = replica(move.get(0));
      ReplicaMeta moved = m.withState(move.get(1));
      assertThat(moved).isEqualTo(new ReplicaMeta(7, 3, 12, move.get(1), m.recoveryEpoch()));
    }
  }

  @Test
  void everyOtherMoveIsRefusedNamingPidFromAndTo() {
    List<List<ReplicaState>> refused = new ArrayList<>();
    for (ReplicaState from : STATES) {
      for (ReplicaState to : STATES) {
        if (LEGAL.contains(List.of(from, to))) continue;
        refused.add(List.of(from, to));
        assertThatThrownBy(() -> replica(from).withState(to)).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("pid=7").hasMessageContaining("from=" + from).hasMessageContaining("to=" + to);
      }
    }
    assertThat(refused).hasSize(STATES.size() * STATES.size() - LEGAL.size())
        .contains(List.of(STALE, ACTIVE), List.of(QUARANTINED, RECOVERING), List.of(ACTIVE, ACTIVE));
  }

  @Test
  void tableMatchesTheMovesAndReplicasAreCreatedActiveOrRecovering() {
    for (ReplicaState from : STATES) {
      for (ReplicaState to : STATES) {
        assertThat(ReplicaTransitions.allowed(from, to)).as("%s -> %s", from, to)
            .isEqualTo(LEGAL.contains(List.of(from, to)));
      }
    }
    assertThat(ReplicaTransitions.CREATED_IN).containsExactlyInAnyOrder(ACTIVE, RECOVERING);
    assertThat(ReplicaMeta.recovering(7, 3, 5).state()).isIn(ReplicaTransitions.CREATED_IN);
  }
}
