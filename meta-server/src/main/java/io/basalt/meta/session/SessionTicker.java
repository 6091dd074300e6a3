package io.basalt.meta.session;

import com.codahale.metrics.Counter;
import com.codahale.metrics.MetricRegistry;
import io.basalt.common.NamedThreads;
import io.basalt.meta.state.Chunk;
import io.basalt.meta.state.MetaState;
import io.basalt.meta.state.MetaTables;
import io.basalt.meta.state.PExtent;
import io.basalt.meta.state.Plan;
import io.basalt.meta.store.MutationBatch;
import io.basalt.meta.store.ZkPaths;
import io.basalt.proto.ChunkStatus;
import io.basalt.proto.ExtentState;
import io.basalt.proto.SessionGroup;
import io.basalt.session.SessionConfig;
import io.basalt.session.SessionTable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives the leader's {@link SessionTable}: a tick every {@link SessionConfig#tickInterval()} on the meta loop
 * (the tick itself measures the leader's pauses). Expired sessions lose their leases at once; expired chunk
 * sessions the table hands out as removable leave the membership of their extents in one batched, fenced
 * ZooKeeper multi (epoch + 1 each, extent DEGRADED, chunk SESSION_EXPIRED), except where the chunk is the extent's
 * last replica with a live session, which is kept (DEGRADED). DEGRADED extents are what recovery picks up. Every
 * chunk session that ends (expired, even in jeopardy) drops the recoveries its chunk is the target of
 * ({@link ChunkSessionListener#sessionEnded}).
 */
public final class SessionTicker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SessionTicker.class);
  private final MetaState state;
  private final ChunkSessions sessions;
  private final ChunkSessionListener recovery;
  private final SessionConfig cfg;
  private final ScheduledExecutorService timer;
  private final Counter expiries;
  private final Counter removals;
  private final Counter keptLast;
  private final Counter pauses;
  private final AtomicInteger jeopardy = new AtomicInteger();
  private final AtomicInteger alive = new AtomicInteger();
  private final AtomicInteger gone = new AtomicInteger();
  private final AtomicInteger held = new AtomicInteger();

  public SessionTicker(MetaState state, ChunkSessions sessions, SessionConfig cfg, MetricRegistry registry) {
    this(state, sessions, cfg, registry, null);
  }

  /** @param recovery drops the recoveries an expired chunk was the target of (null: none) */
  public SessionTicker(MetaState state, ChunkSessions sessions, SessionConfig cfg, MetricRegistry registry,
      ChunkSessionListener recovery) {
    this.recovery = recovery;
    this.state = state;
    this.sessions = sessions;
    this.cfg = cfg;
    this.timer = Executors.newSingleThreadScheduledExecutor(new NamedThreads("meta-session-tick"));
    this.expiries = registry.counter("basalt_meta_sessions_expired");
    this.removals = registry.counter("basalt_meta_sessions_replicas_removed");
    this.keptLast = registry.counter("basalt_meta_sessions_last_replica_kept");
    this.pauses = registry.counter("basalt_meta_sessions_pauses_compensated");
    registry.gauge("basalt_meta_cluster_jeopardy", () -> jeopardy::get);
    registry.gauge("basalt_meta_sessions_alive", () -> alive::get);
    registry.gauge("basalt_meta_sessions_gone", () -> gone::get);
    registry.gauge("basalt_meta_sessions_held_expiries", () -> held::get);
  }

  public SessionTicker start() {
    long tick = cfg.tickInterval().toNanos();
    timer.scheduleWithFixedDelay(() -> state.read(this::tick).exceptionally(e -> null), tick, tick,
        TimeUnit.NANOSECONDS);
    return this;
  }

  private Void tick(MetaTables t) {
    SessionTable sessions = this.sessions.table();
    if (sessions == null) {
      return null;
    }
    long now = state.nowNanos();
    SessionTable.Tick r = sessions.tick(now);
    if (r.pauseNanos() > 0) {
      pauses.inc();
    }
    for (SessionTable.Session s : r.expired()) {
      expiries.inc();
      SessionOps.releaseLeases(t, s, "session expired");
      if (recovery != null && s.group() == SessionGroup.CHUNK) {
        recovery.sessionEnded(t, s, "session expired"); // even in jeopardy: a target is never the last copy
      }
    }
    jeopardy.set(sessions.inJeopardy() ? 1 : 0);
    alive.set(sessions.aliveCount());
    gone.set(sessions.all().size() - sessions.aliveCount());
    held.set(sessions.held().size());
    if (!r.removable().isEmpty()) {
      removeReplicas(r.removable());
    }
    return null;
  }

  private void removeReplicas(List<SessionTable.Session> expired) {
    state.mutate("expireChunks", t -> {
      MutationBatch batch = new MutationBatch();
      List<Chunk> chunks = new ArrayList<>();
      Map<Long, PExtent> upserts = new HashMap<>();
      int removed = 0;
      int kept = 0;
      for (SessionTable.Session s : expired) {
        int cid = s.cid();
        if (sessions.chunkAlive(cid)) {
          continue; // back already
        }
        Chunk c = t.chunks().get(cid);
        if (c != null && c.status() != ChunkStatus.SESSION_EXPIRED) {
          chunks.add(c.withStatus(ChunkStatus.SESSION_EXPIRED));
        }
        for (PExtent pe : t.extents().all()) {
          PExtent cur = upserts.getOrDefault(pe.pid(), pe);
          if (!cur.hasReplica(cid)) {
            continue;
          }
          boolean othersAlive = cur.replicas().stream().anyMatch(r -> r != cid && sessions.chunkAlive(r));
          if (othersAlive) {
            upserts.put(pe.pid(), cur.withoutReplica(cid));
            removed++;
          } else if (cur.state() != ExtentState.EXTENT_DEGRADED && !cur.recovering()) {
            upserts.put(pe.pid(), cur.withState(ExtentState.EXTENT_DEGRADED));
            kept++;
          } else {
            kept++;
          }
        }
      }
      chunks.forEach(c -> batch.putChunk(c.toRecord()));
      TreeMap<Long, Map<Long, PExtent>> byPage = new TreeMap<>();
      upserts.forEach((pid, pe) -> byPage.computeIfAbsent(ZkPaths.pageOf(pid), p -> new HashMap<>()).put(pid, pe));
      byPage.forEach((page, pes) -> batch.putPExtentPage(page, t.extents().pextentPage(page, pes, Set.of())));
      int removedCount = removed;
      int keptCount = kept;
      return Plan.of(batch, () -> {
        chunks.forEach(c -> t.chunks().put(c.withSoftStateOf(t.chunks().get(c.cid()))));
        upserts.values().forEach(t.extents()::put);
        removals.inc(removedCount);
        keptLast.inc(keptCount);
        for (SessionTable.Session s : expired) {
          log.warn("expired chunk left its extents cid={} session={} epoch={} replicasRemoved={} lastLiveKept={}"
              + " extentsDegraded={}", s.cid(), s.uuid(), s.epoch(), removedCount, keptCount, upserts.size());
        }
        return null;
      });
    }).exceptionally(e -> {
      log.warn("removing replicas of expired chunks failed (the next leader retries) error={}", e.getMessage());
      return null;
    });
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
