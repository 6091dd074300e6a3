package io.basalt.it.check;

import io.basalt.client.Volume;
import io.basalt.it.check.OpHistory.Outcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The load of every fault case (TESTPLAN 3.1): stamped writes and checked reads through a {@link Volume}, for a
 * bounded time or number of writes. Workers, one thread each: (a) a QD1 sequential writer over its own region whose
 * longest completion-to-completion gap is the I/O pause; (b) random writers on disjoint block sets spread over the
 * whole volume (see {@link StressLayout}), QD1 each, 4-64 KiB writes; (c) readers of random blocks, checked online so
 * the first wrong block stops the run; (e) a FLUSH every k writes and FUA on some writes. Seeded: each worker draws
 * from its own {@code Random(seed, worker)}.
 *
 * <p>Owns the run's {@link BlockModel} and {@link OpHistory}, which the {@link ClusterChecker} checks after healing.
 * Not reusable: start, await or stop, then close.
 */
public final class Stresser implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Stresser.class);
  private static final AtomicInteger RUNS = new AtomicInteger();

  private final StressConfig config;
  private final StressLayout layout;
  private final BlockModel model;
  private final OpHistory history;
  private final StressStats stats;
  private final StressOps ops;
  private final long[] nextSeq; // per writer id; guarded by the writer's worker (or this after the run)
  private final ExecutorService threads;
  private final List<CompletableFuture<Void>> workers = new ArrayList<>();
  private final long startNanos;
  private final long deadlineNanos;
  private volatile boolean stopping;
  private volatile long endNanos;

  private Stresser(Volume volume, StressConfig config) {
    this.config = config;
    this.layout = new StressLayout(volume.size(), config);
    this.model = BlockModel.live(config.runId(), config.volumeId(), layout.volumeBlocks());
    this.history = new OpHistory(config.historyFile(), config.historyMemoryCap());
    this.startNanos = System.nanoTime();
    this.deadlineNanos = startNanos + config.duration().toNanos();
    this.stats = new StressStats(startNanos);
    this.ops = new StressOps(volume, model, history, stats, config.opTimeout());
    this.nextSeq = new long[config.writers() + 2];
    int run = RUNS.incrementAndGet();
    int count = config.writers() + config.readers() + (config.sequentialWriter() ? 1 : 0);
    AtomicInteger n = new AtomicInteger();
    this.threads = Executors.newFixedThreadPool(count, r -> {
      Thread t = new Thread(r, "basalt-stresser-" + run + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts every worker at once; they run until the duration or write limit is reached, or {@link #stop()}. */
  public static Stresser start(Volume volume, StressConfig config) {
    Stresser s = new Stresser(volume, config);
    log.info("stresser start volume={} seed={} run={} writers={}+{} readers={} blocks={} extents spanned={} "
        + "duration={}", volume.name(), config.seed(), config.runId(), config.writers(),
        config.sequentialWriter() ? "seq" : "no seq", config.readers(), s.layout.volumeBlocks(),
        s.layout.extentsSpanned(), config.duration());
    if (config.sequentialWriter()) {
      s.spawn(s::sequentialWriter);
    }
    for (int w = 0; w < config.writers(); w++) {
      int id = w + 2;
      s.spawn(() -> s.randomWriter(id));
    }
    for (int r = 0; r < config.readers(); r++) {
      int id = 1001 + r;
      s.spawn(() -> s.reader(id));
    }
    return s;
  }

  private void spawn(Runnable body) {
    workers.add(CompletableFuture.runAsync(() -> {
      try {
        body.run();
      } catch (RuntimeException | Error e) {
        log.error("stresser worker died", e);
        stopping = true;
        throw e;
      }
    }, threads));
  }

  private boolean running() {
    return !stopping && System.nanoTime() - deadlineNanos < 0 && !Thread.currentThread().isInterrupted()
        && (config.maxWrites() <= 0 || stats.writesIssued.get() < config.maxWrites());
  }

  private void sequentialWriter() {
    Random r = new Random(config.seed() * 31 + StressLayout.SEQUENTIAL_WRITER);
    long k = 0;
    while (running()) {
      long lba = layout.sequentialStart() + (k++ % layout.sequentialBlocks());
      Outcome o = ops.write(StressLayout.SEQUENTIAL_WRITER, ++nextSeq[StressLayout.SEQUENTIAL_WRITER], lba, 1,
          r.nextInt(100) < config.fuaPercent());
      if (o == Outcome.OK) {
        stats.sequentialAck(System.nanoTime());
      }
      afterWrite(StressLayout.SEQUENTIAL_WRITER);
    }
  }

  private void randomWriter(int writer) {
    Random r = new Random(config.seed() * 31 + writer);
    Pacer pacer = new Pacer(config.writesPerSecond(), config.writers());
    while (running()) {
      pacer.pace();
      long[] w = layout.pickWrite(writer, r);
      ops.write(writer, ++nextSeq[writer], w[0], (int) w[1], r.nextInt(100) < config.fuaPercent());
      afterWrite(writer);
    }
  }

  private void afterWrite(int writer) {
    long issued = stats.writesIssued.incrementAndGet();
    if (config.flushEvery() > 0 && issued % config.flushEvery() == 0) {
      ops.flush(writer);
    }
  }

  private void reader(int reader) {
    Random r = new Random(config.seed() * 31 + reader);
    Pacer pacer = new Pacer(config.readsPerSecond(), config.readers());
    while (running()) {
      pacer.pace();
      long[] p = layout.pickRead(r);
      List<BlockModel.Violation> bad = ops.read(reader, p[0], (int) p[1]);
      if (!bad.isEmpty() && stats.firstViolation.compareAndSet(null, bad.get(0))) {
        log.error("stresser stops on the first violation: {}", bad.get(0));
        stopping = true;
      }
    }
  }

  /** Spaces one worker's ops at {@code workers / rate} seconds (pacing a load, not synchronising). */
  private static final class Pacer {
    private final long intervalNanos;
    private long next = System.nanoTime();

    Pacer(int ratePerSecond, int workers) {
      this.intervalNanos = ratePerSecond <= 0 ? 0 : TimeUnit.SECONDS.toNanos(1) * workers / ratePerSecond;
    }

    void pace() {
      if (intervalNanos == 0) {
        return;
      }
      next += intervalNanos;
      long wait;
      while ((wait = next - System.nanoTime()) > 0) {
        LockSupport.parkNanos(wait);
      }
    }
  }

  /** Acked writes so far (to assert a minimal write rate before injecting a fault). */
  public long writesAcked() {
    return stats.writesAcked.sum();
  }

  /** Checked reads so far. */
  public long readsChecked() {
    return stats.readsChecked.sum();
  }

  /** Waits for the run to end by itself (duration, write limit or first violation); returns the figures. */
  public StressResult awaitResult() {
    CompletableFuture<Void> all = CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new));
    Duration bound = config.duration().plus(config.opTimeout()).plus(config.opTimeout()).plusSeconds(10);
    try {
      all.get(bound.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException("a stresser worker failed", e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("stresser workers still running after " + bound, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
    synchronized (this) {
      if (endNanos == 0) {
        endNanos = System.nanoTime();
        history.flush();
        log.info("stresser done: {}", stats.result(endNanos).summary());
      }
    }
    return stats.result(endNanos);
  }

  /** Asks every worker to finish its current op, then waits for them. */
  public StressResult stop() {
    stopping = true;
    return awaitResult();
  }

  /**
   * One extra stamped write of the writer owning {@code [lba, lba + n)} (all in one stripe), after the run: for
   * fault cases that need a write at a chosen moment. Returns its outcome.
   */
  public synchronized Outcome writeOnce(long lba, int n, boolean fua) {
    if (endNanos == 0) {
      throw new IllegalStateException("writeOnce only after the run ended");
    }
    int writer = layout.writerOf(lba);
    if (writer == 0 || layout.writerOf(lba + n - 1) != writer) {
      throw new IllegalArgumentException("lba=" + lba + " n=" + n + " is not inside one writer's blocks");
    }
    return ops.write(writer, ++nextSeq[writer], lba, n, fua);
  }

  public StressConfig config() {
    return config;
  }

  public StressLayout layout() {
    return layout;
  }

  public BlockModel model() {
    return model;
  }

  public OpHistory history() {
    return history;
  }

  /** Stops the workers if still running, and closes the history file. */
  @Override
  public void close() {
    stopping = true;
    threads.shutdownNow();
    history.close();
  }
}
