package io.basalt.meta.election;

import io.basalt.common.MonotonicClock;
import io.basalt.meta.state.Election;
import io.basalt.meta.state.MetaState;
import io.basalt.meta.store.FencingToken;
import io.basalt.meta.store.MetaImage;
import io.basalt.meta.store.MetaStore;
import io.basalt.meta.store.ZkPaths;
import io.basalt.session.SessionConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs this server in the meta election: a Curator {@link LeaderLatch} at {@code meta/leader} whose participant
 * id is this server's RPC address, plus a connection-state listener. On winning: LOADING (bump meta/epoch, load
 * every table), ACTIVE, then publish {@code meta/active}. SUSPENDED pauses mutations; LOST, losing the latch or a
 * failed write steps down (and a failed write rejoins the election with a fresh latch, so the tables are reloaded).
 * After a pause of its own or a reconnect the leader is VERIFYING until {@link LeadershipCheck} confirms it still
 * leads (else it steps down and rejoins).
 *
 * <p>Before joining the election it checks the ZooKeeper session timeout that was negotiated against the
 * session timings ({@link ZkTimeoutRule}): when a failover could outlast the chunks' leases it logs why and, with
 * {@code strictZkTimeout} (the config's), never joins ({@link #zkTimeoutChecked()} fails; the process exits).
 *
 * <p>Thread: latch callbacks and all blocking ZooKeeper work of the election run on the single
 * {@code basalt-meta-elector} thread; connection-state callbacks run on Curator's connection-state thread and only
 * post to the MetaLoop; state changes hop onto the MetaLoop through {@link MetaState}. The
 * Curator client must be built with {@code SessionConnectionStateErrorPolicy} so the latch keeps leadership while
 * SUSPENDED (its default treats SUSPENDED like LOST).
 *
 * <p>Built before the {@link MetaState} it drives, which asks it for the leader hint, verification and rejoining
 * through {@link Election}; the state is handed over at {@link #start(MetaState)}, when the election is joined.
 */
public final class LeaderElector implements Election, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeaderElector.class);
  private static final long HINT_TTL_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final long REJOIN_BACKOFF_MS = 1000;

  private final CuratorFramework client;
  private final ZkPaths paths;
  private final String id;
  private final MetaStore store;
  private final ScheduledExecutorService executor;
  private final LeadershipCheck check;
  private final ZkTimeoutRule zkRule;
  private final boolean strictZkTimeout;
  private final CompletableFuture<ZkTimeoutRule.Verdict> zkTimeoutChecked = new CompletableFuture<>();
  private final AtomicBoolean refreshing = new AtomicBoolean();
  private volatile LeaderLatch latch;
  private volatile String leaderHint = "";
  private final MonotonicClock clock;
  private volatile long hintNanos;
  private volatile boolean closed;
  /** The state this elector drives; set once by {@link #start}, before any election work runs. */
  private volatile MetaState state;
  private final ConnectionStateListener connectionListener = (c, s) -> onConnectionState(s);

  /**
   * @param zkSessionTimeout the ZooKeeper session timeout asked for (bounds a leadership check, and is judged by
   *     {@link ZkTimeoutRule} against {@code sessions})
   * @param strictZkTimeout never join the election when the negotiated timeout is unsafe
   * @param clock what the leader hint's freshness is judged on
   */
  public LeaderElector(CuratorFramework client, ZkPaths paths, String id, MetaStore store, Duration zkSessionTimeout,
      SessionConfig sessions, boolean strictZkTimeout, MonotonicClock clock) {
    this.clock = clock;
    this.hintNanos = clock.nanoTime() - 2 * HINT_TTL_NANOS;
    this.check = new LeadershipCheck(client, paths, id, zkSessionTimeout);
    this.zkRule = new ZkTimeoutRule(zkSessionTimeout, sessions);
    this.strictZkTimeout = strictZkTimeout;
    this.client = client;
    this.paths = paths;
    this.id = id;
    this.store = store;
    this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "basalt-meta-elector");
      t.setDaemon(true);
      t.setUncaughtExceptionHandler((th, e) -> log.error("uncaught exception on elector id={}", id, e));
      return t;
    });
  }

  /** Completes once the negotiated ZooKeeper session timeout was checked; fails when it is unsafe and strict. */
  public CompletableFuture<ZkTimeoutRule.Verdict> zkTimeoutChecked() {
    return zkTimeoutChecked;
  }

  /**
   * Joins the election without blocking, driving {@code state}: the layout is ensured and the latch started on the
   * elector thread, and leadership arrives asynchronously (also when ZooKeeper is reachable only later).
   */
  public void start(MetaState state) {
    this.state = state;
    client.getConnectionStateListenable().addListener(connectionListener);
    executor.execute(() -> {
      if (!zkTimeoutSafe()) {
        return;
      }
      try {
        store.ensureLayout();
      } catch (RuntimeException e) {
        log.warn("could not ensure zookeeper layout yet id={}: {}", id, e.getMessage());
      }
      if (!closed) {
        joinElection();
      }
    });
  }

  /**
   * Waits for the first connection, then judges the negotiated session timeout. False: refused (strict), never
   * join. Elector thread.
   */
  private boolean zkTimeoutSafe() {
    try {
      while (!closed && !client.blockUntilConnected(1, TimeUnit.SECONDS)) {
        log.debug("waiting for zookeeper before joining the election id={}", id);
      }
      if (closed) {
        return false;
      }
      Duration negotiated = Duration.ofMillis(client.getZookeeperClient().getZooKeeper().getSessionTimeout());
      ZkTimeoutRule.Verdict verdict = zkRule.check(negotiated);
      if (verdict.safe()) {
        log.info("{} id={}", verdict.message(), id);
      } else if (strictZkTimeout) {
        log.error("refusing to join the meta election id={}: {}", id, verdict.message());
        zkTimeoutChecked.completeExceptionally(new IllegalStateException(verdict.message()));
        return false;
      } else {
        log.warn("{} (not enforced) id={}", verdict.message(), id);
      }
      zkTimeoutChecked.complete(verdict);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (Exception e) {
      // The session timeout could not be read: join anyway rather than never; LOST/SUSPENDED still protect us.
      log.warn("could not check the negotiated zookeeper session timeout id={}: {}", id, e.toString());
      zkTimeoutChecked.complete(new ZkTimeoutRule.Verdict(true, "not checked: " + e));
      return true;
    }
  }

  /** Called on the MetaLoop when the leader must confirm its leadership: the check runs on the elector thread. */
  @Override
  public void verify(long round) {
    try {
      executor.execute(() -> {
        LeadershipCheck.Result r = check.verify(latch, store.token());
        log.info("leadership verification round={} id={} confirmed={} detail={}", round, id, r.confirmed(),
            r.detail());
        state.verified(round, r.confirmed(), r.detail());
      });
    } catch (RejectedExecutionException e) {
      state.verified(round, false, "elector closed");
    }
  }

  /** This server's participant id (its RPC address). */
  public String id() {
    return id;
  }

  /**
   * Where the leader is, as last read from the latch (possibly stale, "" when unknown). A read older than one
   * second triggers a refresh on the elector thread; this method itself never blocks.
   */
  @Override
  public String leaderHint() {
    if (clock.nanoTime() - hintNanos > HINT_TTL_NANOS && !closed && refreshing.compareAndSet(false, true)) {
      try {
        executor.execute(this::refreshLeaderHint);
      } catch (RuntimeException e) {
        refreshing.set(false);
      }
    }
    return leaderHint;
  }

  /**
   * Reads the latch leader afresh on the elector thread (a ZooKeeper read) and completes with it, for rare callers
   * such as status queries that must not name a leader of the past; the cached hint if that cannot run.
   */
  public CompletableFuture<String> freshLeaderHint() {
    try {
      return CompletableFuture.supplyAsync(() -> {
        refreshLeaderHint();
        return leaderHint;
      }, executor);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.completedFuture(leaderHint);
    }
  }

  private void joinElection() {
    LeaderLatch l = new LeaderLatch(client, paths.leader(), id);
    latch = l;
    l.addListener(new LeaderLatchListener() {
      @Override
      public void isLeader() {
        if (l == latch && !closed) {
          lead(l);
        }
      }

      @Override
      public void notLeader() {
        if (l == latch) {
          stepDown("latch leadership lost");
        }
      }
    }, executor);
    try {
      l.start();
    } catch (Exception e) {
      throw new IllegalStateException("cannot start leader latch at " + paths.leader(), e);
    }
    log.info("joined meta election id={} path={}", id, paths.leader());
  }

  private void lead(LeaderLatch l) {
    try {
      long term = state.beginLoading().join();
      FencingToken token = store.claimLeadership();
      MetaImage image = store.load();
      if (l != latch || !l.hasLeadership()) {
        stepDown("latch lost while loading");
        return;
      }
      if (!state.activate(term, token, image).join()) {
        // the term moved on while loading; re-run the election rather than hold the latch without leading
        if (l == latch && !closed) {
          rejoinNow();
        }
        return;
      }
      store.publishActive(id);
      leaderHint = id;
      hintNanos = clock.nanoTime();
      log.info("meta leader active id={} epoch={}", id, token.epoch());
    } catch (RuntimeException e) {
      log.warn("taking leadership failed; rejoining election id={} error={}", id, e.toString());
      stepDown("taking leadership failed: " + e.getMessage());
      if (!closed) {
        executor.schedule(this::rejoinNow, REJOIN_BACKOFF_MS, TimeUnit.MILLISECONDS);
      }
    }
  }

  /**
   * Runs on Curator's connection-state thread and never blocks there: SUSPENDED must stop mutations at once,
   * even while the elector thread is busy loading.
   */
  private void onConnectionState(ConnectionState s) {
    if (closed) {
      return;
    }
    log.info("zookeeper connection {} id={} state={}", s, id, state.state());
    hintNanos = clock.nanoTime() - 2 * HINT_TTL_NANOS;
    switch (s) {
      case SUSPENDED -> state.suspend();
      case RECONNECTED -> {
        LeaderLatch l = latch;
        state.reconnected(l != null && l.hasLeadership());
      }
      case LOST -> {
        state.stepDown("zookeeper session lost");
        try {
          executor.execute(() -> store.releaseLeadership(id));
        } catch (RejectedExecutionException e) {
          log.debug("elector closed; not releasing id={}", id);
        }
      }
      default -> { }
    }
  }

  private void stepDown(String reason) {
    MetaState s = state;
    if (s != null) {
      s.stepDown(reason).join();
    }
    store.releaseLeadership(id);
  }

  /** Called on the MetaLoop after a failed write stepped us down: rejoin with a fresh latch. */
  @Override
  public void rejoin() {
    if (closed) {
      return;
    }
    executor.execute(this::rejoinNow);
  }

  private void rejoinNow() {
    if (closed) {
      return;
    }
    store.releaseLeadership(id);
    closeLatch();
    joinElection();
  }

  private void refreshLeaderHint() {
    try {
      LeaderLatch l = latch;
      if (l != null && !closed) {
        leaderHint = l.getLeader().getId();
        hintNanos = clock.nanoTime();
      }
    } catch (Exception e) {
      log.debug("leader lookup failed id={}: {}", id, e.toString());
    } finally {
      refreshing.set(false);
    }
  }

  private void closeLatch() {
    LeaderLatch l = latch;
    latch = null;
    if (l != null) {
      try {
        l.close(LeaderLatch.CloseMode.SILENT);
      } catch (IOException | IllegalStateException e) {
        log.debug("closing latch id={}: {}", id, e.toString());
      }
    }
  }

  /** Steps down and leaves the election (the next leader is elected at once). Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    client.getConnectionStateListenable().removeListener(connectionListener);
    try {
      call(() -> {
        stepDown("closing");
        closeLatch();
      });
    } finally {
      executor.shutdown();
    }
  }

  private void call(Runnable task) {
    try {
      executor.submit(task).get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (Exception e) {
      throw new IllegalStateException("elector task failed id=" + id + ": " + e.getMessage(), e);
    }
  }
}
