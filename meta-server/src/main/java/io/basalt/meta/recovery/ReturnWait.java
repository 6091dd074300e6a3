package io.basalt.meta.recovery;

import java.util.List;

/**
 * What the recorded departures of one degraded extent mean for this recovery pass (issue 13, TESTPLAN F03): a
 * member that ReplicaFailed removed may be a chunk that was killed and is restarting, and its copy, only a few
 * generations behind, is far cheaper to catch up than a whole copy elsewhere. Pure: the scheduler snapshots the
 * departure, the chunk's session and its last report. Rules, for each departure within the wait:
 * <ol>
 *   <li>the chunk restarted (a live session other than the one it had when it left) and reported the pid as a
 *       catch-up copy after it left: {@link Kind#PREFER} it as the target;</li>
 *   <li>the chunk still holds the session it had, and that session sent a keepalive after the departure and recently
 *       ({@code freshNanos}): the process is alive and only its data channel failed (TESTPLAN F12/F15): no wait,
 *       recovery picks as before and the chunk stays out by its cooldown;</li>
 *   <li>the chunk restarted and reported after it left, but without this pid: it has nothing to catch up, no wait;</li>
 *   <li>otherwise (silent, or restarted but not reported yet): {@link Kind#WAIT}.</li>
 * </ol>
 * Over several departures: a PREFER wins, else any WAIT waits. Never WAIT with fewer than 2 live replicas left (the
 * last copy is not left alone for a possible return). A wait of zero turns all of this off.
 *
 * <p>Why "a keepalive after the departure" and not only "a recent keepalive": the pass runs every 250 ms, so right
 * after a kill -9 the dead chunk's last keepalive is still well within any freshness window (up to one keepalive
 * interval old), and the extent would go to another chunk at once: exactly what F03 is about. Only a keepalive sent
 * after the failure proves the process outlived it. Its session's own keepalive is used, not the chunk's last-seen
 * time, which a restarting chunk's re-registration also refreshes while its old session is still alive.
 */
public final class ReturnWait {
  /** What to do with the extent this pass. */
  public enum Kind { NONE, WAIT, PREFER }

  /** The decision; {@code cid} is the preferred or awaited chunk (0 for NONE). */
  public record Verdict(Kind kind, int cid, RecoveryTable.Departure departure) {
    public static final Verdict NONE = new Verdict(Kind.NONE, 0, null);
  }

  /**
   * A departure and what meta knows of the departed chunk now.
   *
   * @param liveSession epoch of the chunk's live session now, 0: none
   * @param lastKeepAliveNanos when that live session last sent a keepalive (ignored without one)
   * @param reportedAtNanos when the chunk's last ReportReplicas arrived, or {@link Long#MIN_VALUE}: none this term
   * @param reportsCopy whether that report named the pid as a catch-up copy
   */
  public record Departed(RecoveryTable.Departure departure, long liveSession, long lastKeepAliveNanos,
      long reportedAtNanos, boolean reportsCopy) {}

  private ReturnWait() {}

  /**
   * @param liveReplicas the extent's live members now
   * @param waitNanos how long after a departure the chunk may return ({@code <= 0}: never wait, never prefer)
   * @param freshNanos how old the same session's last keepalive may be to count the chunk as alive
   */
  public static Verdict judge(List<Departed> departed, int liveReplicas, long now, long waitNanos, long freshNanos) {
    if (waitNanos <= 0) {
      return Verdict.NONE;
    }
    Verdict wait = null;
    for (Departed d : departed) {
      RecoveryTable.Departure dep = d.departure();
      if (now - dep.atNanos() >= waitNanos) {
        continue; // its chance is over: planned as any degraded extent
      }
      boolean restarted = d.liveSession() != 0 && d.liveSession() != dep.sessionEpoch();
      boolean reportedSince = d.reportedAtNanos() != Long.MIN_VALUE && d.reportedAtNanos() > dep.atNanos();
      if (restarted && reportedSince && d.reportsCopy()) {
        return new Verdict(Kind.PREFER, dep.cid(), dep);
      }
      boolean sameSession = d.liveSession() != 0 && d.liveSession() == dep.sessionEpoch();
      if (sameSession && d.lastKeepAliveNanos() > dep.atNanos() && now - d.lastKeepAliveNanos() <= freshNanos) {
        continue; // alive: only its data channel failed, its cooldown keeps it out
      }
      if (restarted && reportedSince) {
        continue; // back without a copy of this extent: nothing to wait for
      }
      if (wait == null) {
        wait = new Verdict(Kind.WAIT, dep.cid(), dep);
      }
    }
    return wait == null || liveReplicas < 2 ? Verdict.NONE : wait;
  }

  /**
   * How old a live session's last keepalive may be to count as recent: two keepalives, at least a third of the
   * session timeout (slack for a loaded leader or chunk; "heard after the departure" is the sharper test).
   */
  public static long freshNanos(long keepaliveNanos, long sessionTimeoutNanos) {
    return Math.max(2 * keepaliveNanos, sessionTimeoutNanos / 3);
  }
}
