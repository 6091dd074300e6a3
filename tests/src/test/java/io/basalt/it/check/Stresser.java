package io.basalt.it.check;

import io.basalt.client.volume.Volume;
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
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The load of every fault case (TESTPLAN 3.1): stamped writes and checked reads through a {@link Volume}, for a
 * bounded time or number of writes. Workers, one thread each: (a) a QD1 sequential writer over its own region whose
 * longest completion-to-completion gap is the I/O pause; (b) random writers on disjoint block sets spread over the
 * whole volume (see {@link StressLayout}), QD1 each, 4-64 KiB writes; optionally (c) contended writers, QD1 each,
 * overlapping in one small shared range, paced so its per-block histories stay small enough to search (see
 * {@link ContendedBudget}); (d) readers of random blocks, checked online so the first wrong block stops the run (and
 * of the contended range, which is checked at the end); (e) a FLUSH every k writes and FUA on some writes. Seeded:
 * each worker draws from its own {@code Random(seed, worker)}.
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
  private final ContendedBudget contended; // null without a contended range
  private final long[] nextSeq; // per writer id; guarded by the writer's worker (or this after the run)
  private final ExecutorService threads;
  private volatile boolean ownsHistory = true; // false once a resumed run took the history over
  private final List<CompletableFuture<Void>> workers = new ArrayList<>();
  private final long startNanos;
  private final long deadlineNanos;
  private volatile boolean stopping;
  private volatile long endNanos;

  private Stresser(Volume volume, StressConfig config) {
    this(volume, config, null);
  }

  /** A run on {@code volume}; with {@code previous}, it goes on with that run's model, history and seqs. */
  private Stresser(Volume volume, StressConfig config, Stresser previous) {
    this.config = config;
    this.layout = new StressLayout(volume.size(), config);
    this.model = previous != null ? previous.model : BlockModel.live(config.runId(), config.volumeId(),
        layout.volumeBlocks(), layout.contendedStart(), layout.contendedBlocks());
    this.history = previous != null ? previous.history
        : new OpHistory(config.historyFile(), config.historyMemoryCap());
    this.startNanos = System.nanoTime();
    this.deadlineNanos = startNanos + config.duration().toNanos();
    this.stats = new StressStats(startNanos);
    this.ops = previous != null ? previous.ops.forRun(volume, stats)
        : new StressOps(volume, model, history, stats, config.opTimeout());
    this.contended = layout.contendedBlocks() == 0 ? null : new ContendedBudget(config, layout, model, startNanos);
    this.nextSeq = previous != null ? previous.nextSeq.clone()
        : new long[config.writers() + 2 + layout.contendedWriters()];
    int run = RUNS.incrementAndGet();
    int count = config.writers() + layout.contendedWriters() + config.readers() + (config.sequentialWriter() ? 1 : 0);
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
        + "contended={} writers on [{}, +{}) duration={}", volume.name(), config.seed(), config.runId(),
        config.writers(), config.sequentialWriter() ? "seq" : "no seq", config.readers(), s.layout.volumeBlocks(),
        s.layout.extentsSpanned(), s.layout.contendedWriters(), s.layout.contendedStart(),
        s.layout.contendedBlocks(), config.duration());
    s.spawnAll();
    return s;
  }

  private void spawnAll() {
    if (config.sequentialWriter()) {
      spawn(this::sequentialWriter);
    }
    for (int w = 0; w < config.writers(); w++) {
      int id = w + 2;
      spawn(() -> randomWriter(id));
    }
    for (int w = 0; w < layout.contendedWriters(); w++) {
      int id = layout.firstContendedWriter() + w;
      spawn(() -> contendedWriter(id));
    }
    for (int r = 0; r < config.readers(); r++) {
      int id = 1001 + r;
      spawn(() -> reader(id));
    }
  }

  /**
   * A new run that goes on where {@code previous} (ended: stopped or done) left off, on the same volume and layout:
   * the same model, history and per-writer seqs, so the checker holds every write of both runs; new figures (pause,
   * in-doubt writes) for this run only, which ends after {@code duration}. The history passes to the new run (closing
   * {@code previous} no longer closes it). For a tester that stops its load around each fault case.
   */
  public static Stresser resume(Volume volume, Stresser previous, Duration duration) {
    if (previous.endNanos == 0) {
      throw new IllegalStateException("resume only after the previous run ended");
    }
    if (volume.size() / BlockStamp.BLOCK != previous.layout.volumeBlocks()) {
      throw new IllegalArgumentException("resume on a volume of another size: " + volume.size());
    }
    previous.ownsHistory = false;
    previous.threads.shutdownNow();
    Stresser s = new Stresser(volume, previous.config.withLimits(duration, 0), previous);
    s.spawnAll();
    log.info("stresser resumed volume={} seed={} run={} duration={}", volume.name(), s.config.seed(),
        s.config.runId(), duration);
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
    Backoff backoff = new Backoff();
    while (running()) {
      long lba = layout.sequentialStart() + (k % layout.sequentialBlocks());
      Outcome o = ops.write(StressLayout.SEQUENTIAL_WRITER, ++nextSeq[StressLayout.SEQUENTIAL_WRITER], lba, 1,
          r.nextInt(100) < config.fuaPercent());
      if (o == Outcome.OK) {
        stats.sequentialAck(System.nanoTime());
        k++;
      }
      afterWrite(StressLayout.SEQUENTIAL_WRITER);
      backoff.after(o);
    }
  }

  private void randomWriter(int writer) {
    Random r = new Random(config.seed() * 31 + writer);
    Pacer pacer = Pacer.ofRate(config.writesPerSecond(), config.writers());
    Backoff backoff = new Backoff();
    long[] retry = null;
    while (running()) {
      pacer.pace(this::running);
      if (!running()) {
        break;
      }
      long[] w = retry != null ? retry : layout.pickWrite(writer, r);
      Outcome o = ops.write(writer, ++nextSeq[writer], w[0], (int) w[1], r.nextInt(100) < config.fuaPercent());
      retry = o == Outcome.OK ? null : w;
      afterWrite(writer);
      backoff.after(o);
    }
  }

  /** Writes the contended range on the shared schedule, while its blocks have room in their histories. */
  private void contendedWriter(int writer) {
    Random r = new Random(config.seed() * 31 + writer);
    Pacer pacer = Pacer.aligned(contended.writeIntervalNanos(), contended.startNanos());
    Backoff backoff = new Backoff();
    while (running()) {
      pacer.pace(this::running);
      if (!running()) {
        break;
      }
      long[] w = layout.pickContendedWrite(r);
      if (contended.room(w[0], (int) w[1])) {
        backoff.after(ops.write(writer, ++nextSeq[writer], w[0], (int) w[1], r.nextInt(100) < config.fuaPercent()));
        afterWrite(writer);
      }
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
    Pacer pacer = Pacer.ofRate(config.readsPerSecond(), config.readers());
    while (running()) {
      pacer.pace(this::running);
      if (!running()) {
        break;
      }
      long[] p = contended != null && contended.readDue() ? layout.pickContendedRead(r) : null;
      if (p == null || !contended.room(p[0], (int) p[1])) {
        p = layout.pickRead(r);
      }
      List<BlockModel.Violation> bad = ops.read(reader, p[0], (int) p[1]);
      if (!bad.isEmpty() && stats.firstViolation.compareAndSet(null, bad.get(0))) {
        log.error("stresser stops on the first violation: {}", bad.get(0));
        stopping = true;
      }
    }
  }

  /**
   * What a writer does after a failed or timed-out write (in doubt, never a loss, never a reason to stop): waits
   * 10 ms, doubling up to 1 s while errors go on, so a cluster in trouble is not hammered; the writer then writes the
   * same blocks again (with a new seq). Reset by the next acked write. Pacing, not synchronisation.
   */
  private final class Backoff {
    private static final long FIRST = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long MAX = TimeUnit.SECONDS.toNanos(1);
    private long next = FIRST;

    void after(Outcome o) {
      if (o == Outcome.OK) {
        next = FIRST;
        return;
      }
      long until = System.nanoTime() + next;
      long wait;
      while (running() && (wait = until - System.nanoTime()) > 0) {
        LockSupport.parkNanos(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(50)));
      }
      next = Math.min(MAX, next * 2);
    }
  }

  /**
   * Spaces one worker's ops (pacing a load, not synchronising): at {@code workers / rate} seconds, catching up after
   * a slow op; or aligned on a schedule shared with other workers, skipping missed slots, so those workers keep
   * firing together.
   */
  private static final class Pacer {
    private final long intervalNanos;
    private final long startNanos;
    private final boolean aligned;
    private long next;

    private Pacer(long intervalNanos, long startNanos, boolean aligned) {
      this.intervalNanos = intervalNanos;
      this.startNanos = startNanos;
      this.aligned = aligned;
      this.next = startNanos;
    }

    static Pacer ofRate(int ratePerSecond, int workers) {
      return new Pacer(ratePerSecond <= 0 ? 0 : TimeUnit.SECONDS.toNanos(1) * workers / ratePerSecond,
          System.nanoTime(), false);
    }

    static Pacer aligned(long intervalNanos, long startNanos) {
      return new Pacer(intervalNanos, startNanos, true);
    }

    /** Waits for the next slot, or until {@code go} turns false (a stop must not wait out a long interval). */
    void pace(BooleanSupplier go) {
      if (intervalNanos == 0) {
        return;
      }
      next += intervalNanos;
      long now = System.nanoTime();
      if (aligned && next - now < 0) {
        next = startNanos + ((now - startNanos) / intervalNanos + 1) * intervalNanos;
      }
      long wait;
      while ((wait = next - System.nanoTime()) > 0 && go.getAsBoolean()) {
        LockSupport.parkNanos(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(50)));
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

  /** Writes that failed or timed out so far: in doubt (they may or may not have taken effect). */
  public long writesInDoubt() {
    return stats.writesFailed.sum() + stats.writesTimedOut.sum();
  }

  /**
   * Measures the longest QD1 pause from now on only (before a fault, so the pause it causes is what
   * {@link #snapshot()} and {@link #stop()} report next, not a stall of the cluster's first seconds).
   */
  public void restartPauseWindow() {
    stats.restartPauseWindow();
  }

  /** The figures so far, while the run goes on (the longest QD1 pause up to now, to check one fault of several). */
  public StressResult snapshot() {
    return stats.result(System.nanoTime());
  }

  /** Whether a reader found a violation (the workers stop at the first one; the checker then reports it). */
  public boolean violated() {
    return stats.firstViolation.get() != null;
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
   * One extra stamped write of the writer owning {@code [lba, lba + n)} (all in one stripe, or all in the contended
   * range, written as its first writer), after the run: for fault cases that need a write at a chosen moment.
   * Returns its outcome.
   */
  public synchronized Outcome writeOnce(long lba, int n, boolean fua) {
    if (endNanos == 0) {
      throw new IllegalStateException("writeOnce only after the run ended");
    }
    int writer = layout.isContended(lba) && layout.isContended(lba + n - 1) ? layout.firstContendedWriter()
        : layout.writerOf(lba);
    if (writer == 0 || (!layout.isContended(lba) && layout.writerOf(lba + n - 1) != writer)) {
      throw new IllegalArgumentException("lba=" + lba + " n=" + n + " is not inside one writer's blocks");
    }
    return ops.write(writer, ++nextSeq[writer], lba, n, fua);
  }

  /** One extra FLUSH after the run (say, right before a power cut), recorded like the run's. Returns its outcome. */
  public synchronized Outcome flushOnce() {
    if (endNanos == 0) {
      throw new IllegalStateException("flushOnce only after the run ended");
    }
    return ops.flush(StressLayout.SEQUENTIAL_WRITER);
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
    if (ownsHistory) {
      history.close();
    }
  }
}
