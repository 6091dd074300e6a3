package io.basalt.meta.session;

import io.basalt.meta.state.Liveness;
import io.basalt.meta.state.MetaTables;
import io.basalt.meta.state.TermState;
import io.basalt.proto.ChunkStatus;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.SessionGroup;
import io.basalt.rpc.BasaltException;
import io.basalt.session.SessionConfig;
import io.basalt.session.SessionTable;

/**
 * The session component's state of one leadership term: this term's {@link SessionTable}, created when the term's
 * tables load (with the takeover grace) and dropped with the term. Sessions are soft: a new term starts empty, with
 * a grace of one session timeout (DESIGN.md "Meta leadership"). Also the {@link Liveness} every other component
 * asks (a lease owner or replica counts only while its chunk's session lives).
 *
 * <p>Thread: MetaLoop only (the term hooks run there, and so do every read and mutation that use the table).
 */
public final class ChunkSessions implements TermState, Liveness {
  private final SessionConfig config;
  private SessionTable table;

  public ChunkSessions(SessionConfig config) {
    this.config = config;
  }

  @Override
  public void onActive(MetaTables tables, long epoch, long nowNanos) {
    SessionTable sessions = new SessionTable(config, epoch, nowNanos);
    // Every chunk registered before this term may hold leases granted by the previous leader, also one that was
    // not HEALTHY at load (it may have come back just before the failover, its return not yet written): until
    // each has reported in (or one lease period passed), nothing expires and no unknown lease is granted. Lease
    // owners are soft state, so which chunks hold one is not on disk: every chunk not REMOVED is waited for. Of
    // those, one HEALTHY at load that never returns expires; the others were gone already and are only waited for.
    for (var c : tables.chunks().all()) {
      if (c.status() != ChunkStatus.REMOVED) {
        sessions.expectChunk(c.cid(), c.address(), nowNanos, c.status() == ChunkStatus.HEALTHY);
      }
    }
    table = sessions;
  }

  @Override
  public void onDrop() {
    table = null;
  }

  /** This term's sessions; null when not leading (reads and mutations run only while leading). */
  public SessionTable table() {
    return table;
  }

  /**
   * The live chunk session {@code uuid} at session epoch {@code epoch} of chunk {@code cid}: what a chunk's
   * request names as its own (AcquireLease, ReplicaQuarantined). NO_SESSION (retryable: the chunk opens a new
   * session and asks again) when it is not that, {@code refused} saying what the caller does not get. Loop only,
   * while leading.
   */
  public SessionTable.Session requireLive(int cid, String uuid, long epoch, String refused) {
    return table.byUuid(uuid)
        .filter(s -> s.alive() && s.group() == SessionGroup.CHUNK && s.cid() == cid && s.epoch() == epoch)
        .orElseThrow(() -> new BasaltException(ErrorCode.NO_SESSION, "cid=" + cid + " session=" + uuid + " epoch="
            + epoch + " is not a live session: " + refused, true));
  }

  @Override
  public boolean chunkAlive(int cid) {
    return table != null && table.aliveChunk(cid).isPresent();
  }

  @Override
  public boolean sessionAlive(int cid, long sessionEpoch) {
    return table != null && table.isAlive(cid, sessionEpoch);
  }
}
