package io.basalt.meta.state;

import io.basalt.common.MonotonicClock;
import io.basalt.common.NamedThreads;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices when this process was not scheduled for a while (GC, VM stall, SIGSTOP): a dedicated thread publishes a
 * heartbeat of its own scheduling every {@link #BEAT}; a gap above the threshold, seen by that thread or by anyone
 * asking {@link #suspected()} (the request path, so a request handled right after SIGCONT, before any beat ran, is
 * refused too), makes the leader verify it still leads before it decides anything. The thread raises the
 * suspicion before it publishes the fresh beat, so whoever reads a fresh beat also sees the suspicion.
 *
 * <p>Why a pause matters: a running ZooKeeper client notices a silent server (SUSPENDED) after two thirds of the
 * session timeout, before the server can expire the session; a paused one does not, so after a pause of about a
 * quarter of the session timeout the session may be gone, and another leader elected, without this one knowing.
 *
 * <p>Thread-safe. Times are {@code System.nanoTime()}-style nanos from the injected clock.
 */
public final class PauseDetector implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PauseDetector.class);
  /** How often the heartbeat thread runs. */
  public static final Duration BEAT = Duration.ofMillis(100);
  /** The smallest threshold: three beats, so a loaded machine's scheduling jitter is not taken for a pause. */
  public static final Duration MIN_THRESHOLD = Duration.ofMillis(300);

  private final MonotonicClock clock;
  private final long thresholdNanos;
  private final AtomicBoolean suspect = new AtomicBoolean();
  private final AtomicLong pauses = new AtomicLong();
  private volatile long lastBeat;
  private volatile Runnable onPause = () -> { };
  private ScheduledExecutorService timer;

  public PauseDetector(MonotonicClock clock, Duration threshold) {
    this.clock = clock;
    this.thresholdNanos = threshold.toNanos();
    this.lastBeat = clock.getAsLong();
  }

  /** A quarter of the ZooKeeper session timeout, at least {@link #MIN_THRESHOLD}. */
  public static Duration thresholdFor(Duration zkSessionTimeout) {
    Duration quarter = zkSessionTimeout.dividedBy(4);
    return quarter.compareTo(MIN_THRESHOLD) < 0 ? MIN_THRESHOLD : quarter;
  }

  /** Runs {@code hook} (on the detecting thread, must not block) each time a pause is first suspected. */
  public void onPause(Runnable hook) {
    this.onPause = hook;
  }

  /** Starts the heartbeat thread. */
  public synchronized PauseDetector start() {
    if (timer == null) {
      lastBeat = clock.getAsLong();
      timer = Executors.newSingleThreadScheduledExecutor(new NamedThreads("meta-pause-beat"));
      timer.scheduleAtFixedRate(this::beat, BEAT.toNanos(), BEAT.toNanos(), TimeUnit.NANOSECONDS);
    }
    return this;
  }

  /** One heartbeat (the thread's job; tests call it with a fake clock). */
  public void beat() {
    long now = clock.getAsLong();
    long gap = now - lastBeat;
    if (gap > thresholdNanos) {
      raise(gap); // before the fresh beat is published
    }
    lastBeat = now;
  }

  /**
   * Whether a pause is suspected and not yet {@link #acknowledge acknowledged}: the heartbeat thread saw one, or
   * the last beat is older than the threshold now (the thread has not run since the process resumed).
   */
  public boolean suspected() {
    long beat = lastBeat; // read before the flag: a fresh beat implies the flag it was published after
    long gap = clock.getAsLong() - beat;
    if (gap > thresholdNanos) {
      raise(gap);
    }
    return suspect.get();
  }

  /**
   * The leader starts verifying (with ZooKeeper, after now): the pause up to now is covered by that verification.
   * A pause that starts later is suspected again.
   */
  public void acknowledge() {
    lastBeat = clock.getAsLong();
    suspect.set(false);
  }

  /** Pauses suspected since start (all leadership terms). */
  public long pauses() {
    return pauses.get();
  }

  public Duration threshold() {
    return Duration.ofNanos(thresholdNanos);
  }

  private void raise(long gapNanos) {
    if (suspect.compareAndSet(false, true)) {
      pauses.incrementAndGet();
      log.warn("meta server was not scheduled for {} ms (threshold {} ms): its leadership must be verified before"
          + " it decides anything", gapNanos / 1_000_000, thresholdNanos / 1_000_000);
      onPause.run();
    }
  }

  @Override
  public synchronized void close() {
    if (timer != null) {
      timer.shutdownNow();
    }
  }
}
