package io.basalt.meta.recovery;

import com.codahale.metrics.Counter;
import io.basalt.meta.session.ChunkSessionListener;
import io.basalt.meta.session.ChunkSessions;
import io.basalt.meta.session.MassExpiryGuard;
import io.basalt.meta.state.MetaState;
import io.basalt.meta.state.MetaTables;
import io.basalt.meta.state.PExtent;
import io.basalt.meta.state.Plan;
import io.basalt.meta.state.TermLocal;
import io.basalt.meta.state.Volume;
import io.basalt.meta.store.MutationBatch;
import io.basalt.meta.view.InfoViews;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.KeepAliveRequest;
import io.basalt.proto.KeepAliveResponse;
import io.basalt.proto.RecoveryDoneRequest;
import io.basalt.proto.RecoveryProgress;
import io.basalt.proto.RecoveryTask;
import io.basalt.proto.ReplicaFailedRequest;
import io.basalt.proto.ReplicaQuarantinedRequest;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.NotOwnerException;
import io.basalt.rpc.StaleEpochException;
import io.basalt.session.SessionTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recovery operations on the leader (DESIGN.md "Recovery"): ReplicaFailed from an owner, ReplicaQuarantined from
 * a chunk that quarantined its own replica (DESIGN.md "Fault isolation"), RecoveryDone from a target, the recovery
 * part of a chunk's keepalive answer (its tasks, the throttle; its progress kept as soft state), dropping the
 * recoveries whose target's session ended (as the session component's {@link ChunkSessionListener}), and keeping
 * the catch-up copies chunks report (for the recovery pass, which prefers a chunk that can catch up). Callable
 * from any thread; work runs on the MetaLoop through {@link MetaState}. Its per-term state is the term's
 * {@link RecoveryTable}.
 */
public final class RecoveryOps implements ChunkSessionListener {
  private static final Logger log = LoggerFactory.getLogger(RecoveryOps.class);
  private final MetaState state;
  private final ChunkSessions sessions;
  private final MassExpiryGuard guard;
  private final TermLocal<RecoveryTable> table;
  private final RecoveryMetrics metrics;

  public RecoveryOps(MetaState state, ChunkSessions sessions, MassExpiryGuard guard, TermLocal<RecoveryTable> table,
      RecoveryMetrics metrics) {
    this.state = state;
    this.sessions = sessions;
    this.guard = guard;
    this.table = table;
    this.metrics = metrics;
  }

  /**
   * The owner could not replicate to {@code failed_cid}. The target: dropped. A full member: removed (epoch + 1),
   * unless the cluster is in jeopardy or fewer than min(2, expected - 1) members would be left (UNAVAILABLE,
   * retryable: session expiry decides then); its departure is recorded with its session at this moment, so the
   * recovery pass can give it a short chance to return and catch up ({@link ReturnWait}). Not a member any more:
   * the current extent.
   */
  public CompletableFuture<ExtentInfo> replicaFailed(ReplicaFailedRequest req) {
    return state.mutate("replicaFailed", t -> {
      PExtent pe = known(t, req.getPid());
      if (req.getEpoch() != pe.epoch()) {
        throw new StaleEpochException(pe.epoch(), "ReplicaFailed pid=" + pe.pid() + " at epoch=" + req.getEpoch()
            + ", current epoch=" + pe.epoch());
      }
      if (req.getOwnerCid() != pe.ownerCid() || req.getOwnerSession() != pe.ownerSession()
          || !sessions.ownerAlive(pe)) {
        int owner = sessions.ownerAlive(pe) ? pe.ownerCid() : 0;
        throw new NotOwnerException(owner, address(t, owner), "ReplicaFailed pid=" + pe.pid() + " from cid="
            + req.getOwnerCid() + " session=" + req.getOwnerSession() + ": not the live owner (owner cid=" + owner
            + ")");
      }
      int failed = req.getFailedCid();
      if (failed == pe.ownerCid()) {
        throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "ReplicaFailed pid=" + pe.pid() + ": failed_cid="
            + failed + " is the owner itself");
      }
      long now = state.nowNanos();
      RecoveryTable rt = table.get();
      if (failed != 0 && failed == pe.recoveringCid()) {
        PExtent next = pe.withoutRecoveryTarget();
        return write(t, next, () -> {
          rt.cooldown(failed, now);
          rt.ended(pe.pid());
          metrics.dropped.inc();
          log.warn("recovery target failed, dropped pid={} epoch={} cid={} owner={} reason={}", pe.pid(),
              next.epoch(), failed, pe.ownerCid(), req.getReason());
        });
      }
      if (!pe.hasReplica(failed)) {
        return Plan.done(() -> InfoViews.extent(pe, t, sessions));
      }
      String refusal = removalRefusal(pe);
      if (refusal == null) {
        refusal = guard.massSilence(failed, now);
      }
      if (refusal != null) {
        throw refused("ReplicaFailed", metrics.replicaFailedRefused, pe, failed, refusal, req.getReason());
      }
      PExtent next = pe.withoutReplica(failed);
      // Its session now: a different live session later means the chunk restarted (F03), the same one that it
      // lived on and only its data channel failed.
      long session = sessions.table().aliveChunk(failed).map(SessionTable.Session::epoch).orElse(0L);
      return write(t, next, () -> {
        rt.cooldown(failed, now);
        rt.departed(new RecoveryTable.Departure(pe.pid(), failed, session, now));
        metrics.replicaFailedRemoved.inc();
        log.warn("replica failed, removed pid={} epoch={} cid={} owner={} replicas={} reason={}", pe.pid(),
            next.epoch(), failed, pe.ownerCid(), next.replicas(), req.getReason());
      });
    });
  }

  /**
   * Chunk {@code cid} quarantined its own replica of {@code pid} (its state is in doubt; kept on the chunk as
   * evidence, never served). The caller must hold that live chunk session (NO_SESSION otherwise). The target:
   * dropped. A full member: removed (epoch + 1; when it held the lease, the lease goes with it, so another member's
   * next AcquireLease is granted), and it cools down as a target; refused as ReplicaFailed is (jeopardy, fewer than
   * min(2, expected - 1) members left: UNAVAILABLE, retryable), but without the mass-silence check: the chunk itself
   * is talking. Not a member (any more): the current extent. The request's epoch is only logged, not a fence.
   */
  public CompletableFuture<ExtentInfo> replicaQuarantined(ReplicaQuarantinedRequest req) {
    return state.mutate("replicaQuarantined", t -> {
      PExtent pe = known(t, req.getPid());
      int cid = req.getCid();
      sessions.requireLive(cid, req.getSessionUuid(), req.getSessionEpoch(),
          "ReplicaQuarantined for pid=" + pe.pid() + " refused");
      long now = state.nowNanos();
      RecoveryTable rt = table.get();
      if (cid != 0 && cid == pe.recoveringCid()) {
        PExtent next = pe.withoutRecoveryTarget();
        return write(t, next, () -> {
          rt.cooldown(cid, now);
          rt.ended(pe.pid());
          metrics.dropped.inc();
          log.warn("recovery target quarantined its replica, dropped pid={} epoch={} cid={} owner={} replicaEpoch={}"
              + " reason={}", pe.pid(), next.epoch(), cid, pe.ownerCid(), req.getEpoch(), req.getReason());
        });
      }
      if (!pe.hasReplica(cid)) {
        return Plan.done(() -> InfoViews.extent(pe, t, sessions));
      }
      String refusal = removalRefusal(pe);
      if (refusal != null) {
        throw refused("ReplicaQuarantined", metrics.replicaQuarantinedRefused, pe, cid, refusal, req.getReason());
      }
      PExtent next = pe.withoutReplica(cid); // the lease, when cid held it, goes with it
      return write(t, next, () -> {
        rt.cooldown(cid, now);
        metrics.replicaQuarantinedRemoved.inc();
        log.warn("replica quarantined, removed pid={} epoch={} cid={} owner={} replicas={} replicaEpoch={}"
            + " reason={}", pe.pid(), next.epoch(), cid, pe.ownerCid(), next.replicas(), req.getEpoch(),
            req.getReason());
      });
    });
  }

  /**
   * The target copied everything: it becomes a full member (epoch + 1). Idempotent: a cid that is already a member
   * at a later epoch gets the current extent. Anything else is STALE_EPOCH (the target stops).
   */
  public CompletableFuture<ExtentInfo> recoveryDone(RecoveryDoneRequest req) {
    return state.mutate("recoveryDone", t -> {
      PExtent pe = known(t, req.getPid());
      int cid = req.getCid();
      if (pe.hasReplica(cid) && pe.epoch() > req.getRecoveryEpoch()) {
        return Plan.done(() -> InfoViews.extent(pe, t, sessions));
      }
      if (pe.recoveringCid() != cid || pe.recoveryEpoch() != req.getRecoveryEpoch() || !sessions.chunkAlive(cid)) {
        throw new StaleEpochException(pe.epoch(), "RecoveryDone pid=" + pe.pid() + " cid=" + cid
            + " recovery_epoch=" + req.getRecoveryEpoch() + " is not the running recovery (target cid="
            + pe.recoveringCid() + " recovery_epoch=" + pe.recoveryEpoch() + " alive=" + sessions.chunkAlive(cid)
            + ")");
      }
      PExtent next = pe.promoted();
      RecoveryTable rt = table.get();
      return write(t, next, () -> {
        Long at = rt.assignedAt(pe.pid());
        long tookMs = at == null ? -1 : (state.nowNanos() - at) / 1_000_000;
        if (at != null) {
          metrics.promotedAfter(state.nowNanos() - at);
        }
        rt.ended(pe.pid());
        metrics.completed.inc();
        log.info("recovery done, target promoted pid={} epoch={} cid={} replicas={} state={} bytesCopied={}"
            + " tookMs={}", pe.pid(), next.epoch(), cid, next.replicas(), next.state(), req.getBytesCopied(), tookMs);
      });
    });
  }

  /**
   * Keepalive of chunk session {@code s}: keeps its reported progress (for its current recoveries only) and adds
   * its tasks (from the by-target index) and the throttle to the answer. Soft; never waits for ZooKeeper. Loop only.
   */
  @Override
  public void keepAlive(MetaTables t, SessionTable.Session s, KeepAliveRequest req, KeepAliveResponse.Builder b,
      long now) {
    RecoveryTable rt = table.get();
    int cid = s.cid();
    for (RecoveryProgress p : req.getRecoveriesList()) {
      PExtent pe = t.extents().get(p.getPid());
      if (pe != null && pe.recoveringCid() == cid && pe.recoveryEpoch() == p.getRecoveryEpoch()) {
        rt.report(cid, p, now);
      }
    }
    for (long pid : t.extents().recoveringOn(cid)) {
      PExtent pe = t.extents().get(pid);
      if (rt.isDropping(pid, pe.recoveryEpoch())) {
        continue;
      }
      Volume v = t.volumes().get(pe.vid());
      b.addRecoveryTasks(RecoveryTask.newBuilder().setPid(pid).setRecoveryEpoch(pe.recoveryEpoch())
          .setExtentSize(v == null ? 0 : v.extentSize()));
    }
    b.setRecoveryThrottle(RecoveryThrottles.effective(t.recoveryThrottle()));
  }

  /**
   * Chunk session {@code s} ended (expired or superseded): every recovery its chunk is the target of is dropped
   * (epoch + 1), even in jeopardy (a target is never the last copy), and the chunk cools down. Called on the loop;
   * the drop is queued as a mutation, and only recoveries still at the same recovery epoch are dropped.
   */
  @Override
  public void sessionEnded(MetaTables t, SessionTable.Session s, String why) {
    if (s.epoch() == 0 && s.endReason() == SessionTable.EndReason.SUPERSEDED) {
      return; // a new leader's placeholder replaced by the chunk reporting in: the chunk's session did not end
    }
    int cid = s.cid();
    List<RecoveryTable.Attempt> attempts = new ArrayList<>();
    for (long pid : t.extents().recoveringOn(cid)) {
      attempts.add(new RecoveryTable.Attempt(pid, t.extents().get(pid).recoveryEpoch()));
    }
    if (attempts.isEmpty()) {
      return;
    }
    long now = state.nowNanos();
    RecoveryTable rt = table.get();
    rt.cooldown(cid, now);
    attempts.forEach(rt::dropping);
    state.mutate("dropRecoveryTargets", tt -> {
      List<PExtent> planned = new ArrayList<>();
      for (RecoveryTable.Attempt a : attempts) {
        PExtent pe = tt.extents().get(a.pid());
        if (pe != null && pe.recoveringCid() == cid && pe.recoveryEpoch() == a.recoveryEpoch()) {
          planned.add(pe.withoutRecoveryTarget());
        }
      }
      return Plan.of(ExtentWrites.pages(new MutationBatch(), tt.extents(), planned), () -> {
        for (PExtent p : planned) {
          ExtentWrites.apply(tt.extents(), p);
          table.get().ended(p.pid());
          metrics.dropped.inc();
          log.warn("recovery target session ended, dropped pid={} epoch={} cid={} session={} reason={}", p.pid(),
              p.epoch(), cid, s.uuid(), why);
        }
        return planned.size();
      });
    }).whenComplete((n, e) -> {
      if (e != null) {
        log.warn("dropping recoveries of cid={} session={} failed (the next leader drops them) error={}", cid,
            s.uuid(), e.getMessage());
      }
      try {
        state.loop().execute(() -> attempts.forEach(rt::dropDone));
      } catch (RejectedExecutionException closing) {
        // the loop is gone and the term's tables with it
      }
    });
  }

  /**
   * Chunk {@code cid}'s ReportReplicas at {@code now} named {@code pids} (already limited to existing extents that
   * do not count it as member or target) as copies it can catch up incrementally: replaces what it reported before.
   * Soft, per term. Loop only (the placement component calls it from its report read).
   */
  public void catchUpCopiesReported(int cid, Set<Long> pids, long now) {
    table.get().holds(cid, pids, now);
  }

  /**
   * A lease grant dropped the recovery of {@code pid} (its new owner's history may differ from what the target
   * copied): the recovery pass starts a new one. Called on the loop when the grant is applied.
   */
  public void droppedByNewOwner(long pid) {
    table.get().ended(pid);
    metrics.dropped.inc();
  }

  /**
   * Why a full member of {@code pe} may not be removed on a report now, or null: the cluster is in jeopardy, or
   * fewer than min(2, expected - 1) members would be left (session expiry decides then). Shared by ReplicaFailed
   * and ReplicaQuarantined.
   */
  private String removalRefusal(PExtent pe) {
    // never the last member, whatever the replica count: a quarantined copy is still better than none
    int floor = Math.max(1, Math.min(2, pe.expectedReplicas() - 1));
    int left = pe.replicas().size() - 1;
    if (guard.inJeopardy()) {
      return "the cluster is in jeopardy";
    }
    return left < floor ? "it would leave " + left + " members, below " + floor : null;
  }

  /** Counts and logs the refused removal of {@code cid} from {@code pe}; the UNAVAILABLE (retryable) to throw. */
  private static BasaltException refused(String call, Counter counter, PExtent pe, int cid,
      String why, String reason) {
    counter.inc();
    log.warn("{} refused pid={} epoch={} cid={} owner={} why={} reason={}", call, pe.pid(), pe.epoch(), cid,
        pe.ownerCid(), why, reason);
    return new BasaltException(ErrorCode.UNAVAILABLE, call + " pid=" + pe.pid() + " cid=" + cid + " refused: " + why
        + "; retry (session expiry decides)", true);
  }

  private Plan<ExtentInfo> write(MetaTables t, PExtent next, Runnable applied) {
    MutationBatch batch = ExtentWrites.pages(new MutationBatch(), t.extents(), List.of(next));
    return Plan.of(batch, () -> {
      PExtent put = ExtentWrites.apply(t.extents(), next);
      applied.run();
      return InfoViews.extent(put, t, sessions);
    });
  }

  static PExtent known(MetaTables t, long pid) {
    PExtent pe = t.extents().get(pid);
    if (pe == null) {
      throw new BasaltException(ErrorCode.NO_SUCH_EXTENT, "pid=" + Long.toUnsignedString(pid) + " does not exist");
    }
    return pe;
  }

  private static String address(MetaTables t, int cid) {
    var c = cid == 0 ? null : t.chunks().get(cid);
    return c == null ? "" : c.address();
  }
}
