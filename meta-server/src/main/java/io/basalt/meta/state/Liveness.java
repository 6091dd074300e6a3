package io.basalt.meta.state;

/**
 * Which chunks hold a live session this term, as the core's tables need to know it: a lease owner counts only while
 * its session lives, and a replica is live only while its chunk's session is. Sessions are the session component's
 * per-term state; this narrow view is what every other component (and the wire views) may ask of it, so none of
 * them imports the session table. Not leading: nothing is alive. Thread: MetaLoop only.
 */
public interface Liveness {
  /** Whether chunk {@code cid} holds a live session. */
  boolean chunkAlive(int cid);

  /** Whether chunk {@code cid} holds a live session with epoch {@code sessionEpoch}. */
  boolean sessionAlive(int cid, long sessionEpoch);

  /** Whether {@code pe}'s lease owner holds a live session (an owner entry under a dead session is no owner). */
  default boolean ownerAlive(PExtent pe) {
    return pe.hasOwner() && sessionAlive(pe.ownerCid(), pe.ownerSession());
  }

  /** Full members of {@code pe} whose chunk holds a live session. */
  default int liveReplicas(PExtent pe) {
    int n = 0;
    for (int cid : pe.replicas()) {
      if (chunkAlive(cid)) {
        n++;
      }
    }
    return n;
  }
}
