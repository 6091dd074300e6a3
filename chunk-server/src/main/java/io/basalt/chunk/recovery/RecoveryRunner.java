package io.basalt.chunk.recovery;

import com.google.common.util.concurrent.RateLimiter;
import io.basalt.chunk.core.ChunkMetrics;
import io.basalt.chunk.core.ClientActivity;
import io.basalt.chunk.core.LocalChunk;
import io.basalt.chunk.core.MetaExtents;
import io.basalt.chunk.store.ReplicaStore;
import io.basalt.common.MonotonicClock;
import io.basalt.failpoint.Failpoints;
import io.basalt.common.NamedThreads;
import io.basalt.common.OrderedExecutor;
import io.basalt.proto.RecoveryProgress;
import io.basalt.proto.RecoveryThrottle;
import io.basalt.rpc.RpcClientFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the recoveries this chunk is the target of, as meta lists them in every keepalive answer
 * ({@code recovery_tasks}): a listed one not running starts (one {@link RecoveryTask} per thread of a small pool,
 * {@code basalt-chunk-recovery-N}); a running one no longer listed is cancelled (meta dropped the target). The
 * answer's throttle sets the chunk's copy rate (a Guava RateLimiter shared by its tasks, bytes/s). A recovery that
 * was promoted is never started again, even if a late answer still lists it.
 *
 * <p>Thread: {@link #update} on the keepalive thread (quick: it only starts/cancels), {@link #progress} from the
 * keepalive thread too, tasks on the pool; state under this object's lock.
 */
public final class RecoveryRunner implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RecoveryRunner.class);
  public static final long DEFAULT_BYTES_PER_SEC = 200L << 20;
  private static final int DONE_MEMORY = 4096;

  private record Key(long pid, long recoveryEpoch) {}

  private final RecoveryContext ctx;
  private final ExecutorService pool;
  private final Map<Key, RecoveryTask> running = new LinkedHashMap<>();
  private final Map<Key, Boolean> promoted = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Key, Boolean> eldest) {
      return size() > DONE_MEMORY;
    }
  };
  private long bytesPerSec;
  private boolean closed;

  RecoveryRunner(RecoveryContext ctx, int threads) {
    this.ctx = ctx;
    this.pool = Executors.newFixedThreadPool(threads, new NamedThreads("chunk-recovery"));
    this.bytesPerSec = ctx.throttle().bytesPerSec();
    ctx.metrics().recoveryActive(this::active);
  }

  /** A runner with its own rate limiter at the default throttle. */
  public static RecoveryRunner create(MetaExtents meta, RpcClientFactory rpc, OrderedExecutor ordered,
      RecoveringReplicas replicas, ReplicaStore store, Failpoints failpoints, ChunkMetrics metrics, LocalChunk local,
      int threads, Duration callTimeout, ClientActivity activity, double busyShare, MonotonicClock clock) {
    RecoveryContext ctx = new RecoveryContext(meta, rpc, ordered, replicas, store,
        new CopyThrottle(RateLimiter.create(DEFAULT_BYTES_PER_SEC), activity, busyShare), failpoints, metrics, local,
        1 << 20, callTimeout, Duration.ofSeconds(1), clock);
    return new RecoveryRunner(ctx, threads);
  }

  /** Meta's list and throttle from a keepalive answer (throttle null: keep the current one). */
  public synchronized void update(List<io.basalt.proto.RecoveryTask> listed, RecoveryThrottle throttle) {
    if (closed) return;
    if (throttle != null && throttle.getBytesPerSec() > 0 && throttle.getBytesPerSec() != bytesPerSec) {
      log.info("recovery throttle set cid={} bytesPerSec={} previous={}", ctx.local().cidOrZero(),
          throttle.getBytesPerSec(), bytesPerSec);
      bytesPerSec = throttle.getBytesPerSec();
      ctx.throttle().setBytesPerSec(bytesPerSec);
    }
    Set<Key> wanted = new HashSet<>();
    for (io.basalt.proto.RecoveryTask t : listed) {
      Key k = new Key(t.getPid(), t.getRecoveryEpoch());
      wanted.add(k);
      if (running.containsKey(k) || promoted.containsKey(k)) continue;
      start(k, t.getExtentSize());
    }
    for (Map.Entry<Key, RecoveryTask> e : running.entrySet()) {
      if (!wanted.contains(e.getKey()) && !e.getValue().finishing()) {
        log.info("recovery no longer listed by meta, cancelling pid={} recoveryEpoch={} cid={}", e.getKey().pid(),
            e.getKey().recoveryEpoch(), ctx.local().cidOrZero());
        e.getValue().cancel("no longer listed by meta");
      }
    }
  }

  private void start(Key k, long extentSize) {
    // A newer attempt for the same extent replaces an older one still running.
    for (Map.Entry<Key, RecoveryTask> e : running.entrySet()) {
      if (e.getKey().pid() == k.pid()) e.getValue().cancel("superseded by recovery epoch=" + k.recoveryEpoch());
    }
    RecoveryTask task = new RecoveryTask(ctx, k.pid(), k.recoveryEpoch(), extentSize, this::ended);
    try {
      pool.execute(task);
      running.put(k, task);
    } catch (RejectedExecutionException e) {
      log.debug("recovery pool closed, not starting pid={}", k.pid());
    }
  }

  private synchronized void ended(RecoveryTask task, boolean wasPromoted) {
    Key k = new Key(task.pid, task.recoveryEpoch);
    if (running.get(k) == task) running.remove(k);
    if (wasPromoted) {
      promoted.put(k, Boolean.TRUE);
      ctx.metrics().recoveryCompleted().inc();
    } else {
      ctx.metrics().recoveryFailed().inc();
    }
  }

  /** Progress of every running recovery, for the keepalive. */
  public synchronized List<RecoveryProgress> progress() {
    List<RecoveryProgress> out = new ArrayList<>(running.size());
    for (RecoveryTask t : running.values()) out.add(t.progress());
    return out;
  }

  /** Whether a recovery of {@code pid} is running here. */
  public synchronized boolean running(long pid) {
    return running.keySet().stream().anyMatch(k -> k.pid() == pid);
  }

  public synchronized int active() {
    return running.size();
  }

  /** The current copy rate limit in bytes/s. */
  public synchronized long bytesPerSec() {
    return bytesPerSec;
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      running.values().forEach(RecoveryTask::abort);
    }
    pool.shutdownNow();
    try {
      pool.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
