package io.basalt.meta.session;

import io.basalt.session.SessionTable;

/**
 * The cluster-jeopardy guard as the rest of meta sees it (DESIGN.md "Mass expiry"): when many chunks go silent at
 * once (a switch, a power feed, many frozen VMs) the cause is the network or meta, not the chunks, so nobody removes
 * replicas or starts recoveries on that evidence. The session table decides which expiries it holds back
 * ({@link SessionTable#inJeopardy()}); this class answers the questions other components ask of it: is the cluster
 * in jeopardy, and is a failure report about one chunk the start of a mass event.
 *
 * <p>Thread: MetaLoop only, while leading (it reads this term's {@link ChunkSessions}).
 */
public final class MassExpiryGuard {
  private final ChunkSessions sessions;

  public MassExpiryGuard(ChunkSessions sessions) {
    this.sessions = sessions;
  }

  /** Whether the cluster is in jeopardy: expiries are held, and no membership change may be decided. */
  public boolean inJeopardy() {
    SessionTable t = sessions.table();
    return t != null && t.inJeopardy();
  }

  /**
   * Why a failure report about {@code failed} must wait, or null. When {@code failed} has gone silent towards meta
   * too (no keepalive for two intervals) while more than the mass-expiry share of the chunks are silent, this is the
   * start of a mass event (a switch, a power feed, many frozen VMs): removing replicas on the owners' word would
   * churn memberships the jeopardy guard is there to keep, so session expiry, with that guard, decides instead. A
   * single silent or unreachable chunk is removed at once.
   */
  public String massSilence(int failed, long now) {
    SessionTable table = sessions.table();
    var session = table.aliveChunk(failed);
    long silentAfter = table.config().keepaliveInterval().multipliedBy(2).toNanos();
    if (session.isEmpty() || table.silentForNanos(session.get(), now) <= silentAfter) {
      return null;
    }
    SessionTable.ChunkSilence silence = table.chunkSilence(now, silentAfter);
    return silence.massive(table.config().massExpiryShare()) ? silence.silent() + " of " + silence.alive()
        + " chunks are silent towards meta too (a mass event: session expiry and the jeopardy guard decide)" : null;
  }
}
