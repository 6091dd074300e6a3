package io.basalt.meta.recovery;

import io.basalt.common.NamedThreads;
import io.basalt.meta.session.ChunkSessions;
import io.basalt.meta.session.MassExpiryGuard;
import io.basalt.meta.state.Chunk;
import io.basalt.meta.state.MetaState;
import io.basalt.meta.state.MetaTables;
import io.basalt.meta.state.PExtent;
import io.basalt.meta.state.Plan;
import io.basalt.meta.state.TermLocal;
import io.basalt.meta.store.MutationBatch;
import io.basalt.proto.ChunkStatus;
import io.basalt.session.SessionTable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's recovery pass (DESIGN.md "Recovery"), every {@code interval} as a mutation on the meta loop: picks
 * targets for degraded extents by {@link RecoveryPolicy} and adds them as RECOVERING members in one batched, fenced
 * multi (epoch + 1 each, recovery epoch = that epoch, bound when a live owner exists). Skipped entirely while the
 * cluster is in jeopardy or the new leader is in its grace: nothing may be decided on sessions not yet seen again.
 * Also publishes the recovery gauges. An interval of zero runs no timer (tests call {@link #passNow}).
 *
 * <p>Returning members (TESTPLAN F03): for an extent a member left by ReplicaFailed less than {@code returnWait} ago,
 * this glue snapshots the departure, the departed chunk's session and its last catch-up report, and
 * {@link ReturnWait} decides: a restarted chunk that reported a copy it can catch up is the preferred target (only
 * the blocks changed since its generation are copied); a silent one, or one restarted but not reported yet, is
 * waited for (logged and counted once per departure), unless fewer than 2 live replicas are left; a chunk whose
 * same session is alive and heard after the failure is not waited for (its data channel failed, it cools down).
 * Departures are forgotten when the extent gets a target or is whole again, or when the wait is over. Chunks that
 * reported a catch-up copy of an extent are preferred among the usual targets as well. A wait of zero turns this off.
 */
public final class RecoveryScheduler implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RecoveryScheduler.class);
  private final MetaState state;
  private final ChunkSessions sessions;
  private final MassExpiryGuard guard;
  private final TermLocal<RecoveryTable> table;
  private final RecoveryMetrics metrics;
  private final Duration interval;
  private final long returnWaitNanos;
  private final ScheduledExecutorService timer;

  /** @param returnWait how long a member removed by ReplicaFailed may take to return (zero: no waiting) */
  public RecoveryScheduler(MetaState state, ChunkSessions sessions, MassExpiryGuard guard,
      TermLocal<RecoveryTable> table, RecoveryMetrics metrics, Duration interval, Duration returnWait) {
    this.state = state;
    this.sessions = sessions;
    this.guard = guard;
    this.table = table;
    this.metrics = metrics;
    this.interval = interval;
    this.returnWaitNanos = returnWait.toNanos();
    this.timer = Executors.newSingleThreadScheduledExecutor(new NamedThreads("meta-recovery"));
  }

  public RecoveryScheduler start() {
    long every = interval.toNanos();
    if (every > 0) {
      timer.scheduleWithFixedDelay(() -> passNow().exceptionally(e -> {
        metrics.publish(0, 0, 0); // not the active leader: this server recovers nothing
        return 0;
      }), every, every, TimeUnit.NANOSECONDS);
    }
    return this;
  }

  /** One pass now; completes with the number of recoveries started (fails when not the active leader). */
  public CompletableFuture<Integer> passNow() {
    return state.mutate("assignRecoveries", this::plan);
  }

  private Plan<Integer> plan(MetaTables t) {
    long now = state.nowNanos();
    publish(t, now);
    SessionTable st = sessions.table();
    if (st == null || guard.inJeopardy() || st.inGrace(now)) {
      return Plan.done(() -> 0);
    }
    Map<Integer, Integer> busy = new HashMap<>();
    List<RecoveryPolicy.Candidate> candidates = new ArrayList<>();
    List<RecoveryPolicy.ChunkView> chunks = new ArrayList<>();
    for (Chunk c : t.chunks().all()) {
      chunks.add(new RecoveryPolicy.ChunkView(c.cid(), c.zone(),
          c.status() == ChunkStatus.HEALTHY && sessions.chunkAlive(c.cid()) && !c.full(), c.usedBytes()));
      for (long pid : t.extents().recoveringOn(c.cid())) {
        PExtent pe = t.extents().get(pid);
        busy.merge(c.cid(), 1, Integer::sum);
        busy.merge(pe.copySource(sessions.ownerAlive(pe)), 1, Integer::sum);
      }
    }
    RecoveryTable rt = table.get();
    long fresh = ReturnWait.freshNanos(st.config().keepaliveInterval().toNanos(),
        st.config().sessionTimeout().toNanos());
    Map<Long, ReturnWait.Verdict> verdicts = new HashMap<>();
    for (long pid : t.extents().shortOfReplicas()) {
      PExtent pe = t.extents().get(pid);
      int live = sessions.liveReplicas(pe);
      if (!pe.recovering() && live > 0) {
        ReturnWait.Verdict v = ReturnWait.judge(departed(st, rt, pid, now), live, now, returnWaitNanos, fresh);
        verdicts.put(pid, v);
        candidates.add(new RecoveryPolicy.Candidate(pid, live, pe.copySource(sessions.ownerAlive(pe)),
            pe.replicas(), v.kind() == ReturnWait.Kind.PREFER ? v.cid() : 0, v.kind() == ReturnWait.Kind.WAIT,
            rt.holdersOf(pid)));
      }
    }
    RecoveryPolicy.Result r = RecoveryPolicy.plan(candidates, chunks, busy,
        RecoveryThrottles.effective(t.recoveryThrottle()).getPerChunk(),
        cid -> rt.coolingDown(cid, now));
    verdicts.forEach((pid, v) -> {
      if (v.kind() == ReturnWait.Kind.WAIT && rt.firstWait(v.departure())) {
        metrics.returnWaits.inc();
        log.info("recovery waits for departed member to return pid={} cid={} session={} waitMs={}", pid, v.cid(),
            v.departure().sessionEpoch(), (returnWaitNanos - (now - v.departure().atNanos())) / 1_000_000);
      }
    });
    for (long pid : r.noTarget()) {
      if (rt.firstNoTarget(pid)) {
        PExtent pe = t.extents().get(pid);
        log.warn("recovery has no target: extent stays DEGRADED pid={} epoch={} replicas={} expected={}", pid,
            pe.epoch(), pe.replicas(), pe.expectedReplicas());
      }
    }
    if (r.assignments().isEmpty()) {
      return Plan.done(() -> 0);
    }
    List<PExtent> planned = new ArrayList<>();
    Map<Long, Integer> sources = new HashMap<>();
    for (RecoveryPolicy.Assignment a : r.assignments()) {
      PExtent pe = t.extents().get(a.pid());
      planned.add(pe.withRecoveryTarget(a.target(), sessions.ownerAlive(pe)));
      sources.put(a.pid(), a.source());
    }
    return Plan.of(ExtentWrites.pages(new MutationBatch(), t.extents(), planned), () -> {
      long at = state.nowNanos();
      for (PExtent p : planned) {
        PExtent applied = ExtentWrites.apply(t.extents(), p);
        rt.assigned(p.pid(), at);
        rt.clearDepartures(p.pid());
        metrics.started.inc();
        ReturnWait.Verdict v = verdicts.get(p.pid());
        boolean returning = v != null && v.kind() == ReturnWait.Kind.PREFER && v.cid() == p.recoveringCid();
        RecoveryTable.Holdings held = rt.holdings(p.recoveringCid());
        boolean catchUp = returning || (held != null && held.pids().contains(p.pid()));
        if (catchUp) {
          metrics.returningTargets.inc();
        }
        if (returning) {
          log.info("recovery target is the returning chunk pid={} cid={} epoch={} departedSession={} session={}"
              + " (incremental catch-up)", p.pid(), p.recoveringCid(), p.epoch(), v.departure().sessionEpoch(),
              sessions.table().aliveChunk(p.recoveringCid()).map(SessionTable.Session::epoch).orElse(0L));
        }
        log.info("recovery started pid={} vid={} index={} epoch={} cid={} source={} replicas={} bound={} catchUp={}",
            p.pid(), p.vid(), p.index(), p.epoch(), p.recoveringCid(), sources.get(p.pid()), p.replicas(),
            applied != null && applied.recoveryBound(), catchUp);
      }
      publish(t, at);
      return planned.size();
    });
  }

  /** The departures from {@code pid} with what this term knows of each departed chunk now. Loop only. */
  private static List<ReturnWait.Departed> departed(SessionTable st, RecoveryTable rt, long pid, long now) {
    List<RecoveryTable.Departure> deps = rt.departures(pid);
    if (deps.isEmpty()) {
      return List.of();
    }
    List<ReturnWait.Departed> out = new ArrayList<>(deps.size());
    for (RecoveryTable.Departure d : deps) {
      var live = st.aliveChunk(d.cid());
      RecoveryTable.Holdings held = rt.holdings(d.cid());
      out.add(new ReturnWait.Departed(d, live.map(SessionTable.Session::epoch).orElse(0L),
          live.map(s -> now - st.silentForNanos(s, now)).orElse(Long.MIN_VALUE),
          held == null ? Long.MIN_VALUE : held.atNanos(), held != null && held.pids().contains(pid)));
    }
    return out;
  }

  /** Gauges: degraded and recovering extent counts and the reported copy rate (fresh reports only). */
  private void publish(MetaTables t, long now) {
    long recovering = 0;
    for (Chunk c : t.chunks().all()) {
      recovering += t.extents().recoveringOn(c.cid()).size();
    }
    SessionTable st = sessions.table();
    long freshNanos = st == null ? 0 : st.config().sessionTimeout().toNanos();
    long rate = 0;
    RecoveryTable rt = table.get();
    rt.retain(pid -> {
      PExtent pe = t.extents().get(pid);
      return pe != null && pe.recovering();
    });
    rt.retainDepartures(d -> {
      PExtent pe = t.extents().get(d.pid());
      return pe != null && pe.shortOfReplicas() && !pe.recovering() && now - d.atNanos() < returnWaitNanos;
    });
    for (RecoveryTable.Reported rep : rt.allProgress().values()) {
      PExtent pe = t.extents().get(rep.progress().getPid());
      if (pe != null && pe.recoveringCid() == rep.cid() && pe.recoveryEpoch() == rep.progress().getRecoveryEpoch()
          && now - rep.atNanos() <= freshNanos) {
        rate += rep.progress().getBytesPerSec();
      }
    }
    metrics.publish(t.extents().shortOfReplicas().size(), recovering, rate);
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
