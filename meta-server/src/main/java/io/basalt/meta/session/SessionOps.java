package io.basalt.meta.session;

import io.basalt.meta.state.Chunk;
import io.basalt.meta.state.MetaState;
import io.basalt.meta.state.MetaTables;
import io.basalt.meta.state.PExtent;
import io.basalt.meta.state.Plan;
import io.basalt.meta.store.MutationBatch;
import io.basalt.meta.view.InfoViews;
import io.basalt.proto.ChunkStatus;
import io.basalt.proto.ClusterStatusResponse;
import io.basalt.proto.ConfirmExpiryResponse;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.ExtentState;
import io.basalt.proto.HeldLease;
import io.basalt.proto.KeepAliveRequest;
import io.basalt.proto.KeepAliveResponse;
import io.basalt.proto.ListSessionsResponse;
import io.basalt.proto.ReleaseLeaseRequest;
import io.basalt.proto.SessionGroup;
import io.basalt.proto.SessionInfo;
import io.basalt.proto.SessionState;
import io.basalt.rpc.BasaltException;
import io.basalt.session.SessionTable;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Session operations on the leader: KeepAlive (soft: it runs on the loop at once, never queued behind ZooKeeper
 * writes, so a slow ZooKeeper cannot delay lease extensions into expiries), session and cluster status, the
 * operator's confirm-expiry, and lease release on request. Expiry itself is {@link SessionTicker}'s.
 */
public final class SessionOps {
  private static final Logger log = LoggerFactory.getLogger(SessionOps.class);
  private final MetaState state;
  private final ChunkSessions sessions;
  private final String self;
  private final ChunkSessionListener recovery;

  public SessionOps(MetaState state, ChunkSessions sessions, String self) {
    this(state, sessions, self, null);
  }

  /** @param recovery answers a chunk's recovery tasks and drops a superseded chunk's targets (null: none) */
  public SessionOps(MetaState state, ChunkSessions sessions, String self, ChunkSessionListener recovery) {
    this.state = state;
    this.sessions = sessions;
    this.self = self;
    this.recovery = recovery;
  }

  private record Answer(KeepAliveResponse response, boolean returnedChunk) {}

  public CompletableFuture<KeepAliveResponse> keepAlive(KeepAliveRequest req) {
    CompletableFuture<Answer> answer = state.read(t -> {
      long now = state.nowNanos();
      SessionGroup group = req.getGroup() == SessionGroup.SESSION_GROUP_UNSPECIFIED ? SessionGroup.CHUNK
          : req.getGroup();
      Chunk chunk = null;
      if (group == SessionGroup.CHUNK) {
        chunk = t.chunks().get(req.getCid());
        if (chunk == null) {
          throw new BasaltException(ErrorCode.NO_SUCH_CHUNK, "cid=" + req.getCid() + " is not registered");
        }
      }
      // Taken before the keepalive: the last chunk to report in ends the grace with it, and its leases must still
      // be re-adopted, not revoked.
      boolean grace = sessions.table().inGrace(now);
      SessionTable.KeepAlive ka = sessions.table().keepAlive(group, req.getCid(), req.getSessionUuid(),
          req.getSessionEpoch(), req.getName(), now);
      SessionTable.Session s = ka.session();
      ka.superseded().ifPresent(old -> {
        releaseLeases(t, old, "superseded by session=" + s.uuid());
        if (recovery != null && old.group() == SessionGroup.CHUNK) {
          recovery.sessionEnded(t, old, "superseded by session=" + s.uuid());
        }
      });
      KeepAliveResponse.Builder b = KeepAliveResponse.newBuilder().setSessionUuid(s.uuid())
          .setSessionEpoch(s.epoch()).setSessionTimeoutMs(sessions.table().config().sessionTimeout().toMillis());
      if (chunk != null) {
        if (chunk.full() != req.getFull()) {
          log.warn("chunk disk {} cid={} usedBytes={} capacityBytes={}", req.getFull() ? "FULL: no placement or"
              + " recovery target until it has room" : "has room again", chunk.cid(), req.getUsedBytes(),
              req.getCapacityBytes());
        }
        t.chunks().put(chunk.withHeartbeat(req.getUsedBytes(), req.getCapacityBytes(), req.getFull(), now));
        reconcileLeases(t, req, s, grace, b);
        if (recovery != null) {
          recovery.keepAlive(t, s, req, b, now);
        }
      }
      return new Answer(b.build(), chunk != null && chunk.status() == ChunkStatus.SESSION_EXPIRED);
    });
    return answer.thenApply(a -> {
      if (a.returnedChunk()) {
        markHealthyIfReturned(req);
      }
      return a.response();
    });
  }

  /**
   * Checks the leases the follower says it holds: still its own but at an older epoch (membership changed):
   * refresh; not its own any more (or the extent is gone): revoke; during a new leader's grace (as it was before
   * this keepalive) an unowned lease at the same epoch is re-adopted, since the previous leader granted it. The
   * follower reports leases it is still installing too (granted, members syncing).
   */
  private void reconcileLeases(MetaTables t, KeepAliveRequest req, SessionTable.Session s, boolean grace,
      KeepAliveResponse.Builder b) {
    for (HeldLease held : req.getLeasesList()) {
      PExtent pe = t.extents().get(held.getPid());
      if (pe == null) {
        b.addRevokedPids(held.getPid());
      } else if (pe.ownerCid() == s.cid() && pe.ownerSession() == s.epoch()) {
        if (pe.epoch() != held.getEpoch()) {
          b.addRefreshPids(pe.pid());
        }
      } else if (grace && !sessions.ownerAlive(pe) && pe.epoch() == held.getEpoch()
          && pe.hasReplica(s.cid())) {
        t.extents().put(pe.withOwner(s.cid(), s.epoch()));
        log.info("lease re-adopted in leader grace pid={} cid={} session={} epoch={}", pe.pid(), s.cid(), s.uuid(),
            pe.epoch());
      } else {
        b.addRevokedPids(pe.pid());
        log.info("lease revoked pid={} cid={} session={} heldEpoch={} epoch={} ownerCid={}", pe.pid(), s.cid(),
            s.uuid(), held.getEpoch(), pe.epoch(), pe.ownerCid());
      }
    }
  }

  /** Releases every lease {@code s} holds (soft: the next grant bumps the epoch). Loop only. */
  static int releaseLeases(MetaTables t, SessionTable.Session s, String why) {
    int released = 0;
    for (PExtent pe : List.copyOf(t.extents().all())) {
      if (pe.ownerCid() == s.cid() && pe.ownerSession() == s.epoch()) {
        t.extents().put(pe.withoutOwner());
        released++;
      }
    }
    if (released > 0) {
      log.info("leases released cid={} session={} epoch={} count={} reason={}", s.cid(), s.uuid(), s.epoch(),
          released, why);
    }
    return released;
  }

  /** A chunk that comes back after its session expired is HEALTHY again (persisted; best effort, retried next time). */
  private void markHealthyIfReturned(KeepAliveRequest req) {
    state.mutate("chunkReturned", t -> {
      Chunk c = t.chunks().get(req.getCid());
      if (c == null || c.status() != ChunkStatus.SESSION_EXPIRED || sessions.table().aliveChunk(c.cid()).isEmpty()) {
        return Plan.done(() -> null);
      }
      Chunk healthy = c.withStatus(ChunkStatus.HEALTHY);
      return Plan.of(new MutationBatch().putChunk(healthy.toRecord()), () -> {
        t.chunks().put(healthy.withSoftStateOf(t.chunks().get(c.cid())));
        log.info("chunk returned HEALTHY cid={} session={}", c.cid(),
            sessions.table().aliveChunk(c.cid()).map(SessionTable.Session::uuid).orElse(""));
        return null;
      });
    }).exceptionally(e -> null);
  }

  public CompletableFuture<ListSessionsResponse> list() {
    return state.read(t -> {
      long now = state.nowNanos();
      ListSessionsResponse.Builder b = ListSessionsResponse.newBuilder();
      for (SessionTable.Session s : sessions.table().all()) {
        int leases = 0;
        for (PExtent pe : t.extents().all()) {
          if (pe.ownerCid() == s.cid() && pe.ownerSession() == s.epoch()) leases++;
        }
        SessionInfo.Builder i = SessionInfo.newBuilder().setUuid(s.uuid()).setEpoch(s.epoch()).setGroup(s.group())
            .setCid(s.cid()).setName(s.name()).setLeases(leases)
            .setLeaseRemainingMs(TimeUnit.NANOSECONDS.toMillis(s.expiresAt() - now))
            .setState(s.alive() ? SessionState.SESSION_ALIVE : SessionState.SESSION_GONE);
        if (!s.alive()) {
          i.setEndReason(s.endReason().name().toLowerCase())
              .setEndedAgoMs(TimeUnit.NANOSECONDS.toMillis(now - s.endedAt()));
        }
        b.addSessions(i);
      }
      return b.build();
    });
  }

  public CompletableFuture<ClusterStatusResponse> status() {
    return state.read(t -> {
      long now = state.nowNanos();
      SessionTable st = sessions.table();
      int healthy = 0;
      for (Chunk c : t.chunks().all()) {
        if (c.status() == ChunkStatus.HEALTHY && st.aliveChunk(c.cid()).isPresent()) healthy++;
      }
      int degraded = 0;
      int recovering = 0;
      for (PExtent pe : t.extents().all()) {
        if (pe.state() == ExtentState.EXTENT_DEGRADED) degraded++;
        if (pe.state() == ExtentState.EXTENT_RECOVERING) recovering++;
      }
      return ClusterStatusResponse.newBuilder().setLeader(self).setMetaEpoch(state.epoch())
          .setJeopardy(st.inJeopardy()).setJeopardyReason(st.jeopardyReason())
          .setJeopardyForMs(st.inJeopardy() ? TimeUnit.NANOSECONDS.toMillis(now - st.jeopardySince()) : 0)
          .setChunks(t.chunks().size()).setChunksHealthy(healthy).setSessionsAlive(st.aliveCount())
          .setHeldExpiries(st.held().size()).setExtents(t.extents().size()).setExtentsDegraded(degraded)
          .setExtentsRecovering(recovering)
          .setGraceRemainingMs(TimeUnit.NANOSECONDS.toMillis(st.graceRemainingNanos(now)))
          .setPausesCompensated(Math.max(st.pausesCompensated(), state.pausesDetected())).build();
    });
  }

  public CompletableFuture<ConfirmExpiryResponse> confirmExpiry() {
    return state.read(t -> ConfirmExpiryResponse.newBuilder().setChunks(sessions.table().confirmExpiry()).build());
  }

  /** Gives a lease back when cid under {@code session_epoch} holds it; a no-op otherwise. */
  public CompletableFuture<ExtentInfo> release(ReleaseLeaseRequest req) {
    return state.read(t -> {
      PExtent pe = t.extents().get(req.getPid());
      if (pe == null) {
        throw new BasaltException(ErrorCode.NO_SUCH_EXTENT, "pid=" + req.getPid() + " does not exist");
      }
      if (pe.ownerCid() == req.getCid() && pe.ownerSession() == req.getSessionEpoch()) {
        pe = pe.withoutOwner();
        t.extents().put(pe);
        log.info("lease released on request pid={} cid={} epoch={}", pe.pid(), req.getCid(), pe.epoch());
      }
      return InfoViews.extent(pe, t, sessions);
    });
  }
}
