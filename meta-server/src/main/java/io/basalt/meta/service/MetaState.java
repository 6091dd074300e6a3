package io.basalt.meta.service;

import io.basalt.session.SessionConfig;
import io.basalt.session.SessionTable;
import io.basalt.meta.store.FencedException;
import io.basalt.meta.store.FencingToken;
import io.basalt.meta.store.MetaImage;
import io.basalt.meta.store.MetaStore;
import io.basalt.meta.table.MetaLoop;
import io.basalt.meta.table.MetaTables;
import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's state: the {@link LeadershipState} machine, this term's {@link MetaTables}, and the write pipeline
 * that keeps "tables change only after ZooKeeper confirms". Mutations are planned against the tables, committed as
 * one fenced multi, and applied when the commit succeeds; they run one at a time, in arrival order, so each plan
 * sees every earlier mutation (allocation stays idempotent, pages are never written from a stale base).
 *
 * <p>Thread: public methods may be called from any thread and hop onto the {@link MetaLoop}; everything else,
 * including the tables, is touched only by the loop. {@link #state()} is a volatile read.
 *
 * <p>Any failed commit leaves the outcome in doubt (or proves we were deposed): the leader steps down and rejoins
 * the election, so the tables are reloaded from ZooKeeper before anything else is decided.
 */
public final class MetaState {
  private static final Logger log = LoggerFactory.getLogger(MetaState.class);

  private final String id;
  private final MetaStore store;
  private final MetaLoop loop;
  private final LongSupplier nanoClock;
  private final LeaderGate gate;
  private final MetaMetrics metrics;
  private final ArrayDeque<Pending<?>> queue = new ArrayDeque<>();
  private final SessionConfig sessionConfig;
  private volatile LeadershipState state = LeadershipState.FOLLOWER;
  private volatile long term;
  private volatile Runnable rejoinHook = () -> { };
  private MetaTables tables;
  private FencingToken token;
  private boolean inFlight;

  private record Pending<T>(String op, Function<MetaTables, Plan<T>> planner, CompletableFuture<T> result) {}

  /**
   * @param id this server's RPC address, for logs
   * @param leaderHint where the leader is, for NOT_LEADER answers (may be stale or empty)
   */
  public MetaState(String id, MetaStore store, MetaLoop loop, LongSupplier nanoClock, Supplier<String> leaderHint,
      MetaMetrics metrics, SessionConfig sessions) {
    this.sessionConfig = sessions;
    this.id = id;
    this.store = store;
    this.loop = loop;
    this.nanoClock = nanoClock;
    this.gate = new LeaderGate(id, leaderHint);
    this.metrics = metrics;
  }

  /** Called (on the loop) after a failed commit stepped us down: the elector should rejoin the election. */
  public void onRejoin(Runnable hook) {
    this.rejoinHook = hook;
  }

  public LeadershipState state() {
    return state;
  }

  /** Current fencing epoch, 0 when not leading. */
  public long epoch() {
    FencingToken t = token;
    return t == null ? 0 : t.epoch();
  }

  public long nowNanos() {
    return nanoClock.getAsLong();
  }

  public MetaLoop loop() {
    return loop;
  }

  // ---- leadership transitions (called by the elector) ----

  /** FOLLOWER -> LOADING; returns the new term that {@link #activate} must quote. */
  public CompletableFuture<Long> beginLoading() {
    return loop.submit(() -> {
      if (state != LeadershipState.FOLLOWER) {
        dropLeadership("re-elected while " + state);
      }
      term++;
      transitionTo(LeadershipState.LOADING, "elected");
      return term;
    });
  }

  /** LOADING -> ACTIVE with the loaded tables, unless the term moved on meanwhile (then false). */
  public CompletableFuture<Boolean> activate(long forTerm, FencingToken claimed, MetaImage image) {
    return loop.submit(() -> {
      if (forTerm != term || state != LeadershipState.LOADING) {
        log.info("discarding load of an old term term={} current={} state={}", forTerm, term, state);
        return false;
      }
      tables = MetaTables.from(image);
      token = claimed;
      // Sessions are soft: a new term starts empty, with a grace of one session timeout (DESIGN "Meta leadership").
      SessionTable sessions = new SessionTable(sessionConfig, claimed.epoch(), nanoClock.getAsLong());
      // Chunks registered before this term may hold leases granted by the previous leader: until each has reported
      // in (or one lease period passed), no unknown lease is granted, and one that never returns expires.
      for (var c : tables.chunks().all()) {
        if (c.status() == io.basalt.proto.ChunkStatus.HEALTHY) {
          sessions.expectChunk(c.cid(), c.address(), nanoClock.getAsLong());
        }
      }
      tables.startSessions(sessions);
      transitionTo(LeadershipState.ACTIVE, "tables loaded");
      publishSizes();
      return true;
    });
  }

  /** ACTIVE -> SUSPENDED: ZooKeeper connection suspended; nothing is mutated until it resumes. */
  public CompletableFuture<Void> suspend() {
    return loop.submit(() -> {
      if (state == LeadershipState.ACTIVE) {
        transitionTo(LeadershipState.SUSPENDED, "zookeeper connection suspended");
        drain();
      } else if (state == LeadershipState.LOADING) {
        dropLeadership("zookeeper connection suspended while loading");
      }
      return null;
    });
  }

  /**
   * ZooKeeper reconnected within the session: SUSPENDED -> ACTIVE when the latch still names us leader, else
   * step down.
   */
  public CompletableFuture<Void> reconnected(boolean stillLeader) {
    return loop.submit(() -> {
      if (state == LeadershipState.SUSPENDED) {
        if (stillLeader) {
          transitionTo(LeadershipState.ACTIVE, "zookeeper connection reconnected");
        } else {
          dropLeadership("reconnected without leadership");
        }
      }
      return null;
    });
  }

  /** Any state -> FOLLOWER: drop the tables and fail queued mutations with NOT_LEADER. */
  public CompletableFuture<Void> stepDown(String reason) {
    return loop.submit(() -> {
      dropLeadership(reason);
      return null;
    });
  }

  private void dropLeadership(String reason) {
    if (state != LeadershipState.FOLLOWER) {
      transitionTo(LeadershipState.FOLLOWER, reason);
    }
    term++;
    tables = null;
    token = null;
    Pending<?> p;
    while ((p = queue.poll()) != null) {
      p.result().completeExceptionally(gate.notLeader());
    }
    publishSizes();
  }

  private void transitionTo(LeadershipState next, String reason) {
    LeadershipState from = state;
    if (!next.allowedFrom().contains(from)) {
      throw new IllegalStateException("illegal leadership transition " + from + " -> " + next);
    }
    state = next;
    metrics.transition(next);
    log.info("leadership {} -> {} id={} term={} epoch={} reason={}", from, next, id, term, epoch(), reason);
  }

  // ---- operations ----

  /** Runs {@code fn} on the loop against the tables of an ACTIVE leader (soft-state updates allowed). */
  public <T> CompletableFuture<T> read(Function<MetaTables, T> fn) {
    return loop.submit(() -> fn.apply(requireActive()));
  }

  /**
   * Queues a mutation: {@code planner} runs on the loop when every earlier mutation finished, returns the
   * records to write (it may throw a validation error) and the table change to apply after the commit.
   */
  public <T> CompletableFuture<T> mutate(String op, Function<MetaTables, Plan<T>> planner) {
    CompletableFuture<T> result = new CompletableFuture<>();
    loop.submit(() -> {
      queue.add(new Pending<>(op, planner, result));
      drain();
      return null;
    }).exceptionally(t -> {
      result.completeExceptionally(t);
      return null;
    });
    return result;
  }

  private void drain() {
    while (!inFlight && state == LeadershipState.ACTIVE && !queue.isEmpty()) {
      start(queue.poll());
    }
    if (state != LeadershipState.ACTIVE) {
      Pending<?> p;
      while ((p = queue.poll()) != null) {
        p.result().completeExceptionally(gate.refusal(state));
      }
    }
  }

  private <T> void start(Pending<T> p) {
    Plan<T> plan;
    try {
      plan = p.planner().apply(tables);
    } catch (Throwable t) {
      p.result().completeExceptionally(t);
      return;
    }
    if (plan.batch().isEmpty()) {
      complete(p, plan);
      return;
    }
    inFlight = true;
    long forTerm = term;
    long started = nanoClock.getAsLong();
    store.commit(plan.batch()).whenComplete((ok, err) -> onLoop(p, () -> {
      inFlight = false;
      metrics.commit(nanoClock.getAsLong() - started, err == null);
      if (err != null) {
        commitFailed(p, forTerm, BasaltException.of(err));
      } else if (forTerm != term) {
        p.result().completeExceptionally(gate.notLeader());
      } else {
        complete(p, plan);
      }
      drain();
    }));
  }

  /** Hops a commit completion onto the loop; when the loop is gone (closing) the caller still gets an answer. */
  private void onLoop(Pending<?> p, Runnable task) {
    try {
      loop.execute(task);
    } catch (RejectedExecutionException e) {
      p.result().completeExceptionally(new BasaltException(ErrorCode.UNAVAILABLE, "meta server is closing", true, e));
    }
  }

  private <T> void complete(Pending<T> p, Plan<T> plan) {
    try {
      p.result().complete(plan.apply().get());
    } catch (Throwable t) {
      log.error("applying {} failed after commit; reloading id={} epoch={}", p.op(), id, epoch(), t);
      p.result().completeExceptionally(new BasaltException(ErrorCode.INTERNAL, p.op() + ": " + t, false, t));
      dropLeadership("table apply failed");
      rejoinHook.run();
    }
    publishSizes();
  }

  private void commitFailed(Pending<?> p, long forTerm, BasaltException e) {
    if (e instanceof FencedException) {
      metrics.fenced();
      p.result().completeExceptionally(gate.notLeader());
    } else {
      p.result().completeExceptionally(new BasaltException(ErrorCode.UNAVAILABLE,
          p.op() + ": metadata write in doubt, leader is reloading (" + e.getMessage() + ")", true, e));
    }
    if (forTerm == term && state != LeadershipState.FOLLOWER) {
      log.warn("{} commit failed; stepping down to reload id={} epoch={} error={}", p.op(), id, epoch(),
          e.getMessage());
      dropLeadership(e instanceof FencedException ? "fenced: another leader bumped meta/epoch"
          : "metadata write in doubt");
      rejoinHook.run();
    }
  }

  private MetaTables requireActive() {
    if (state == LeadershipState.ACTIVE && tables != null) {
      return tables;
    }
    throw gate.refusal(state);
  }

  private void publishSizes() {
    MetaTables t = tables;
    if (t == null) {
      metrics.sizes(0, 0, 0);
    } else {
      metrics.sizes(t.chunks().size(), t.volumes().size(), t.extents().size());
    }
  }
}
