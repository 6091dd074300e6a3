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
 */
public final class RecoveryScheduler implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RecoveryScheduler.class);
  private final MetaState state;
  private final ChunkSessions sessions;
  private final MassExpiryGuard guard;
  private final TermLocal<RecoveryTable> table;
  private final RecoveryMetrics metrics;
  private final Duration interval;
  private final ScheduledExecutorService timer;

  public RecoveryScheduler(MetaState state, ChunkSessions sessions, MassExpiryGuard guard,
      TermLocal<RecoveryTable> table, RecoveryMetrics metrics, Duration interval) {
    this.state = state;
    this.sessions = sessions;
    this.guard = guard;
    this.table = table;
    this.metrics = metrics;
    this.interval = interval;
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
    for (long pid : t.extents().shortOfReplicas()) {
      PExtent pe = t.extents().get(pid);
      int live = sessions.liveReplicas(pe);
      if (!pe.recovering() && live > 0) {
        candidates.add(new RecoveryPolicy.Candidate(pid, live, pe.copySource(sessions.ownerAlive(pe)), pe.replicas()));
      }
    }
    RecoveryTable rt = table.get();
    RecoveryPolicy.Result r = RecoveryPolicy.plan(candidates, chunks, busy,
        RecoveryThrottles.effective(t.recoveryThrottle()).getPerChunk(),
        cid -> rt.coolingDown(cid, now));
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
        metrics.started.inc();
        log.info("recovery started pid={} vid={} index={} epoch={} cid={} source={} replicas={} bound={}",
            p.pid(), p.vid(), p.index(), p.epoch(), p.recoveringCid(), sources.get(p.pid()), p.replicas(),
            applied != null && applied.recoveryBound());
      }
      publish(t, at);
      return planned.size();
    });
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
