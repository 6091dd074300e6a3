package io.basalt.meta.state;

import io.basalt.common.MonotonicClock;
import io.basalt.meta.store.FencedException;
import io.basalt.meta.store.FencingToken;
import io.basalt.meta.store.MetaImage;
import io.basalt.meta.store.MetaStore;
import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.RequestDeadline;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's state: the {@link LeadershipState} machine, this term's {@link MetaTables} (and, through the
 * {@link TermState} hook, every component's state of the term), and the write pipeline
 * that keeps "tables change only after ZooKeeper confirms". Mutations are planned against the tables, committed as
 * one fenced multi, and applied when the commit succeeds; they run one at a time, in arrival order, so each plan
 * sees every earlier mutation (allocation stays idempotent, pages are never written from a stale base).
 *
 * <p>Thread: public methods may be called from any thread and hop onto the {@link MetaLoop}; everything else,
 * including the tables, is touched only by the loop. {@link #state()} is a volatile read.
 *
 * <p>Any failed commit leaves the outcome in doubt (or proves we were deposed): the leader steps down and rejoins
 * the election, so the tables are reloaded from ZooKeeper before anything else is decided.
 *
 * <p>A deposed leader decides nothing: {@link #read} and {@link #mutate} serve only an ACTIVE leader with no
 * suspension or step-down pending (the ZooKeeper connection callbacks count theirs before they hop onto the loop,
 * so requests already queued on the loop are refused at once) and no suspected pause of its own scheduling
 * ({@link PauseDetector}). A pause, or a reconnect, moves an ACTIVE leader to VERIFYING until the elector confirms
 * with ZooKeeper that it still leads ({@link #verified}).
 */
public final class MetaState {
  private static final Logger log = LoggerFactory.getLogger(MetaState.class);

  private final String id;
  private final MetaStore store;
  private final MetaLoop loop;
  private final MonotonicClock nanoClock;
  private final LeaderGate gate;
  private final MetaMetrics metrics;
  private final ArrayDeque<Pending<?>> queue = new ArrayDeque<>();
  private final Election election;
  private final List<TermState> components;
  private final PauseDetector pauses;
  private final AtomicInteger pendingHalts = new AtomicInteger();
  private volatile LeadershipState state = LeadershipState.FOLLOWER;
  private volatile long term;
  private MetaTables tables;
  private FencingToken token;
  private boolean inFlight;
  private long verifyRound;

  /** A queued mutation; {@code deadline} is its request's ({@link RequestDeadline}), NONE for internal ones. */
  private record Pending<T>(String op, Function<MetaTables, Plan<T>> planner, CompletableFuture<T> result,
      long deadline) {}

  /**
   * @param id this server's RPC address, for logs
   * @param election where the leader is (for NOT_LEADER answers), verification and rejoining
   * @param components the per-term state of each component, created on activation and dropped with the term, in
   *     this order
   * @param pauses this process's pause detector (started by the caller)
   */
  public MetaState(String id, MetaStore store, MetaLoop loop, MonotonicClock nanoClock, Election election,
      MetaMetrics metrics, List<TermState> components, PauseDetector pauses) {
    this.pauses = pauses;
    pauses.onPause(this::pauseDetected);
    this.election = election;
    this.components = List.copyOf(components);
    this.id = id;
    this.store = store;
    this.loop = loop;
    this.nanoClock = nanoClock;
    this.gate = new LeaderGate(id, election::leaderHint);
    this.metrics = metrics;
  }

  public LeadershipState state() {
    return state;
  }

  /** Pauses of its own scheduling this process noticed, in any term. */
  public long pausesDetected() {
    return pauses.pauses();
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
      // Each component's soft state of the term (sessions with their takeover grace, recovery progress) starts
      // here, in the same loop task, before anything can read the tables.
      long now = nanoClock.getAsLong();
      for (TermState c : components) {
        c.onActive(tables, claimed.epoch(), now);
      }
      pauses.acknowledge(); // loading talked to ZooKeeper after any earlier pause
      transitionTo(LeadershipState.ACTIVE, "tables loaded");
      publishSizes();
      return true;
    });
  }

  /**
   * ACTIVE or VERIFYING -> SUSPENDED: ZooKeeper connection suspended; nothing is decided until it resumes. Counted
   * at once on the caller's thread, so requests already queued on the loop are refused too.
   */
  public CompletableFuture<Void> suspend() {
    return halting(() -> {
      if (state == LeadershipState.ACTIVE || state == LeadershipState.VERIFYING) {
        verifyRound++; // a verification under way no longer counts
        transitionTo(LeadershipState.SUSPENDED, "zookeeper connection suspended");
        drain();
      } else if (state == LeadershipState.LOADING) {
        dropLeadership("zookeeper connection suspended while loading");
      }
    });
  }

  /**
   * ZooKeeper reconnected within the session: SUSPENDED -> VERIFYING when the latch still names us leader (the
   * elector then confirms it with a sync before we serve), else step down.
   */
  public CompletableFuture<Void> reconnected(boolean stillLeader) {
    return loop.submit(() -> {
      if (state == LeadershipState.SUSPENDED) {
        if (stillLeader) {
          beginVerifying("zookeeper connection reconnected");
        } else {
          dropLeadership("reconnected without leadership");
        }
      }
      return null;
    });
  }

  /** Any state -> FOLLOWER: drop the tables and fail queued mutations with NOT_LEADER. Refuses at once. */
  public CompletableFuture<Void> stepDown(String reason) {
    return halting(() -> dropLeadership(reason));
  }

  /** Counts a halt before it hops onto the loop: until it ran there, nothing is served. */
  private CompletableFuture<Void> halting(Runnable onLoop) {
    pendingHalts.incrementAndGet();
    AtomicBoolean counted = new AtomicBoolean(true);
    CompletableFuture<Void> f = loop.submit(() -> {
      if (counted.getAndSet(false)) {
        pendingHalts.decrementAndGet();
      }
      onLoop.run();
      return null;
    });
    if (f.isCompletedExceptionally() && counted.getAndSet(false)) {
      pendingHalts.decrementAndGet(); // the loop is closed: the task never runs
    }
    return f;
  }

  /** The pause detector saw a pause: an ACTIVE leader verifies before it decides anything again. Any thread. */
  private void pauseDetected() {
    try {
      loop.execute(() -> {
        if (state == LeadershipState.ACTIVE && pauses.suspected()) {
          beginVerifying("pause of the leader's own scheduling");
        }
      });
    } catch (RejectedExecutionException e) {
      log.debug("meta loop closed; pause not handled id={}", id);
    }
  }

  /** ACTIVE or SUSPENDED -> VERIFYING (or a new round while VERIFYING). Loop only. */
  private void beginVerifying(String reason) {
    pauses.acknowledge();
    long round = ++verifyRound;
    if (state != LeadershipState.VERIFYING) {
      transitionTo(LeadershipState.VERIFYING, reason);
    } else {
      log.info("leadership verification round={} id={} epoch={} reason={}", round, id, epoch(), reason);
    }
    metrics.verification();
    drain();
    election.verify(round);
  }

  /**
   * The elector's answer to verification {@code round}: confirmed -> ACTIVE (or a new round when another pause
   * was seen meanwhile); refuted -> step down and rejoin the election. A stale round is ignored.
   */
  public CompletableFuture<Void> verified(long round, boolean confirmed, String detail) {
    return loop.submit(() -> {
      if (state != LeadershipState.VERIFYING || round != verifyRound) {
        log.info("ignoring stale leadership verification round={} current={} state={} id={}", round, verifyRound,
            state, id);
        return null;
      }
      if (!confirmed) {
        metrics.verifyFailed();
        log.warn("leadership not confirmed; stepping down id={} epoch={} detail={}", id, epoch(), detail);
        dropLeadership("leadership not confirmed: " + detail);
        election.rejoin();
      } else if (pauses.suspected()) {
        beginVerifying("paused again while verifying");
      } else {
        transitionTo(LeadershipState.ACTIVE, "leadership confirmed: " + detail);
        drain();
      }
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
    for (TermState c : components) {
      c.onDrop();
    }
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
   * records to write (it may throw a validation error) and the table change to apply after the commit. Called
   * while an RPC handler runs, it takes that request's deadline: a mutation still queued when the caller's deadline
   * passed is refused with DEADLINE_EXCEEDED (retryable, nothing written) instead of committed for nobody.
   */
  public <T> CompletableFuture<T> mutate(String op, Function<MetaTables, Plan<T>> planner) {
    CompletableFuture<T> result = new CompletableFuture<>();
    long deadline = RequestDeadline.current();
    loop.submit(() -> {
      queue.add(new Pending<>(op, planner, result, deadline));
      drain();
      return null;
    }).exceptionally(t -> {
      result.completeExceptionally(t);
      return null;
    });
    return result;
  }

  private void drain() {
    while (!inFlight && !queue.isEmpty() && serving()) {
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
    // the deadline is on the RPC layer's clock (System.nanoTime(), see RequestDeadline), not this state's clock
    long now = System.nanoTime();
    if (RequestDeadline.passed(p.deadline(), now)) {
      metrics.deadlineExceeded();
      p.result().completeExceptionally(new BasaltException(ErrorCode.DEADLINE_EXCEEDED, p.op() + " waited "
          + TimeUnit.NANOSECONDS.toMillis(now - p.deadline()) + " ms past its request's deadline in the meta queue:"
          + " not executed", true));
      return;
    }
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
      election.rejoin();
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
      election.rejoin();
    }
  }

  private MetaTables requireActive() {
    if (serving() && tables != null) {
      return tables;
    }
    if (state == LeadershipState.VERIFYING) {
      metrics.verifyingRefusal();
    }
    throw gate.refusal(state);
  }

  /**
   * Whether this leader may decide now: ACTIVE, no suspension or step-down on its way to the loop, and no pause
   * of its own suspected (a suspected pause starts a verification here). Loop only.
   */
  private boolean serving() {
    if (state != LeadershipState.ACTIVE || pendingHalts.get() > 0) {
      return false;
    }
    if (pauses.suspected()) {
      beginVerifying("pause of the leader's own scheduling noticed on the request path");
      return false;
    }
    return true;
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
