package io.basalt.chunk.session;

import io.basalt.chunk.core.LocalChunk;
import io.basalt.chunk.owner.OwnerLease;
import io.basalt.common.MonotonicClock;
import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import io.basalt.session.FollowerSession;
import io.basalt.session.SessionConfig;

/**
 * This chunk's session state with the meta leader ({@link FollowerSession}: uuid, epoch, local lease) and the
 * {@link OwnerLease} the owner path checks: which session leases are acquired under, and whether one held under a
 * session epoch is still valid now (DESIGN.md "Sessions and leases"). Built before the owner table, which checks it;
 * the keepalives that move it are {@link ChunkSession}'s, built after the owner table.
 *
 * <p>Thread: read by the pid threads, moved by the keepalive thread (FollowerSession is thread-safe).
 */
public final class SessionLease implements OwnerLease {
  private final FollowerSession session;
  private final LocalChunk local;
  private final MonotonicClock clock;

  /** @param clock the chunk's clock: the local lease is checked against it (and the keepalives time it) */
  public SessionLease(SessionConfig cfg, LocalChunk local, MonotonicClock clock) {
    this.session = new FollowerSession(cfg, () -> "cid=" + local.cidOrZero());
    this.local = local;
    this.clock = clock;
  }

  /** The clock the local lease is measured on; the keepalives that extend it read the same one. */
  public MonotonicClock clock() {
    return clock;
  }

  /** The session state machine (its keepalives run in {@link ChunkSession}). */
  public FollowerSession state() {
    return session;
  }

  @Override
  public Session current() {
    long epoch = session.epoch();
    if (!session.leaseValid(epoch, clock.nanoTime())) {
      throw new BasaltException(ErrorCode.NO_SESSION, "chunk cid=" + local.cidOrZero() + " has no valid session ("
          + session.state() + "): cannot take leases", true);
    }
    return new Session(session.uuid(), epoch);
  }

  @Override
  public boolean valid(long epoch) {
    return session.leaseValid(epoch, clock.nanoTime());
  }
}
