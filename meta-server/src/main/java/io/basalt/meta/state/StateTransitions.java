package io.basalt.meta.state;

import io.basalt.proto.ChunkStatus;
import io.basalt.proto.ExtentState;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The legal moves of an extent's {@link ExtentState} and a chunk's {@link ChunkStatus} (like
 * {@link LeadershipState}'s table): {@link PExtent} and {@link Chunk} copy methods check every change against it and
 * refuse an illegal one with an {@link IllegalStateException} naming the pid/cid, from and to, so a wrong move fails
 * where it is made instead of being persisted. Staying in a state is always legal; so is leaving an unset state
 * (a record written without one: {@code *_UNSPECIFIED} or a value this build does not know), never entering one.
 * Creation (an allocated extent and a new chunk are HEALTHY) and loading from ZooKeeper are not moves and are not
 * checked. Pure; any thread (the meta loop in practice).
 *
 * <p>Extents (the state is derived from the membership by the copy methods, {@code withState} is the ticker's):
 * <ul>
 *   <li>HEALTHY -> DEGRADED: a member left ({@code withoutReplica}) or its only live members expired (ticker).
 *   <li>DEGRADED -> RECOVERING: the scheduler added a recovery target to an extent short of replicas.
 *   <li>RECOVERING -> HEALTHY / DEGRADED: the target was promoted, or dropped (failed, or a new owner's grant).
 *   <li>DEGRADED -> HEALTHY: a grant clears the state of an extent that is not short (after the ticker).
 *   <li>refused: HEALTHY -> RECOVERING (only an extent short of replicas gets a target).
 * </ul>
 * Chunks:
 * <ul>
 *   <li>any -> SESSION_EXPIRED: the ticker expires the session of whatever chunk held one (a REMOVED or DRAINING
 *       chunk that registered again gets a session too).
 *   <li>SESSION_EXPIRED -> HEALTHY: the chunk came back (keepalive or re-registration).
 *   <li>refused: any other move into HEALTHY, and every move into DRAINING or REMOVED (no code makes them yet; an
 *       admin drain/remove adds them here).
 * </ul>
 */
public final class StateTransitions {
  private static final Map<ExtentState, Set<ExtentState>> EXTENT_FROM = new EnumMap<>(ExtentState.class);
  private static final Map<ChunkStatus, Set<ChunkStatus>> CHUNK_FROM = new EnumMap<>(ChunkStatus.class);

  static {
    EXTENT_FROM.put(ExtentState.EXTENT_HEALTHY, EnumSet.of(ExtentState.EXTENT_DEGRADED, ExtentState.EXTENT_RECOVERING));
    EXTENT_FROM.put(ExtentState.EXTENT_DEGRADED, EnumSet.of(ExtentState.EXTENT_HEALTHY, ExtentState.EXTENT_RECOVERING));
    EXTENT_FROM.put(ExtentState.EXTENT_RECOVERING, EnumSet.of(ExtentState.EXTENT_DEGRADED));
    CHUNK_FROM.put(ChunkStatus.HEALTHY, EnumSet.of(ChunkStatus.SESSION_EXPIRED));
    CHUNK_FROM.put(ChunkStatus.SESSION_EXPIRED,
        EnumSet.of(ChunkStatus.HEALTHY, ChunkStatus.DRAINING, ChunkStatus.REMOVED));
    CHUNK_FROM.put(ChunkStatus.DRAINING, EnumSet.noneOf(ChunkStatus.class));
    CHUNK_FROM.put(ChunkStatus.REMOVED, EnumSet.noneOf(ChunkStatus.class));
  }

  private StateTransitions() {}

  /** States an extent may enter {@code to} from (besides {@code to} itself); empty for an unknown state. */
  public static Set<ExtentState> extentFrom(ExtentState to) {
    return EXTENT_FROM.getOrDefault(to, Set.of());
  }

  /** Statuses a chunk may enter {@code to} from (besides {@code to} itself); empty for an unknown status. */
  public static Set<ChunkStatus> chunkFrom(ChunkStatus to) {
    return CHUNK_FROM.getOrDefault(to, Set.of());
  }

  /** Returns {@code to} when extent {@code pid} may move from {@code from} to it; throws otherwise. */
  public static ExtentState extent(long pid, ExtentState from, ExtentState to) {
    boolean unset = from == ExtentState.EXTENT_STATE_UNSPECIFIED || from == ExtentState.UNRECOGNIZED;
    if (from != to && !(unset && EXTENT_FROM.containsKey(to)) && !extentFrom(to).contains(from)) {
      throw new IllegalStateException("illegal extent state change pid=" + pid + " from=" + from + " to=" + to);
    }
    return to;
  }

  /** Returns {@code to} when chunk {@code cid} may move from {@code from} to it; throws otherwise. */
  public static ChunkStatus chunk(int cid, ChunkStatus from, ChunkStatus to) {
    boolean unset = from == ChunkStatus.CHUNK_STATUS_UNSPECIFIED || from == ChunkStatus.UNRECOGNIZED;
    if (from != to && !(unset && CHUNK_FROM.containsKey(to)) && !chunkFrom(to).contains(from)) {
      throw new IllegalStateException("illegal chunk status change cid=" + cid + " from=" + from + " to=" + to);
    }
    return to;
  }
}
