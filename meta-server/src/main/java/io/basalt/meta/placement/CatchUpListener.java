package io.basalt.meta.placement;

import java.util.Set;

/**
 * Told which copies a chunk can catch up incrementally, from each of its ReportReplicas (TESTPLAN F03): the recovery
 * component prefers such a chunk as a target. A port owned here so that placement does not import recovery (which
 * does not import placement either): the wiring passes the recovery operation as this interface. Called on the
 * MetaLoop, inside the report's read; must not block or throw.
 */
@FunctionalInterface
public interface CatchUpListener {
  /** Ignores every report (tests, or a core without recovery). */
  CatchUpListener NONE = (cid, pids, nowNanos) -> { };

  /**
   * Chunk {@code cid} reported at {@code nowNanos} that it can catch up {@code pids} (only existing extents that
   * count it neither as member nor as target; empty: none any more).
   */
  void reported(int cid, Set<Long> pids, long nowNanos);
}
