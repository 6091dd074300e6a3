package io.basalt.chunk.store;

import io.basalt.proto.ReplicaState;
import java.util.EnumSet;
import java.util.Set;

/**
 * The legal moves of a replica's {@link ReplicaState} on this chunk (DESIGN.md "Recovery"), as the chunk makes them:
 * <ul>
 *   <li>created ACTIVE (the first write or lease install of a member) or RECOVERING (an empty copy being filled by
 *       one recovery attempt);
 *   <li>RECOVERING -> ACTIVE: the copy completed and was promoted ({@code RecoveringReplicas.promote}), also found
 *       after a restart when meta had promoted it ({@code RecoveringReplicas.afterRestart});
 *   <li>RECOVERING -> STALE: the process restarted mid-copy, the dirty bitmap is lost
 *       ({@code RecoveringReplicas.afterRestart}), or meta no longer lists the replica while no copy into it
 *       runs ({@code HeartbeatLoop}, stale pids);
 *   <li>ACTIVE -> STALE: meta removed the replica from the membership while the chunk was away
 *       ({@code HeartbeatLoop}, stale pids; it marks ACTIVE and RECOVERING ones, a quarantined one stays so);
 *   <li>ACTIVE -> QUARANTINED and RECOVERING -> QUARANTINED: an unexpected error left the replica's state in doubt
 *       ({@code ReplicaQuarantine}; its evidence is saved first). Never served again.
 *   <li>STALE -> RECOVERING and ACTIVE -> RECOVERING: meta made this chunk the recovery target of a copy it still
 *       holds from before (a returning chunk); the copy is kept as the base of an incremental catch-up
 *       ({@code RecoveringReplicas.ensure}; ACTIVE when the chunk has not yet heard that it was removed).
 * </ul>
 * Whenever a RECOVERING replica becomes STALE its gen is set to 0 ({@link ReplicaMeta#staleCopy}): an unfinished
 * copy holds no generation, so it is never taken as a catch-up base.
 * QUARANTINED is left only by deletion, STALE by deletion or a catch-up (meta's gc pids, a deleted extent, or a wipe
 * for a new recovery, which creates a new replica; a quarantined replica's evidence lives on in its own directory). A state change
 * through {@link ReplicaMeta#withState} outside this table is a bug and is refused ({@link IllegalStateException}
 * naming pid, from and to).
 *
 * <p>Stateless; any thread.
 */
public final class ReplicaTransitions {
  /** The states a replica is created in. */
  public static final Set<ReplicaState> CREATED_IN = Set.copyOf(EnumSet.of(ReplicaState.ACTIVE,
      ReplicaState.RECOVERING));

  private ReplicaTransitions() {}

  /** The states a replica may move to {@code to} from. */
  public static Set<ReplicaState> allowedFrom(ReplicaState to) {
    return switch (to) {
      case ACTIVE -> EnumSet.of(ReplicaState.RECOVERING);
      case STALE -> EnumSet.of(ReplicaState.ACTIVE, ReplicaState.RECOVERING);
      case QUARANTINED -> EnumSet.of(ReplicaState.ACTIVE, ReplicaState.RECOVERING);
      case RECOVERING -> EnumSet.of(ReplicaState.STALE, ReplicaState.ACTIVE);
      case REPLICA_STATE_UNSPECIFIED, UNRECOGNIZED -> EnumSet.noneOf(ReplicaState.class);
    };
  }

  /** Whether a replica in state {@code from} may move to {@code to}. */
  public static boolean allowed(ReplicaState from, ReplicaState to) {
    return allowedFrom(to).contains(from);
  }

  /** Refuses a move outside the table. */
  static void check(long pid, ReplicaState from, ReplicaState to) {
    if (!allowed(from, to)) {
      throw new IllegalStateException("illegal replica state change pid=" + pid + " from=" + from + " to=" + to
          + " (allowed into " + to + " from " + allowedFrom(to) + ")");
    }
  }
}
