package io.basalt.rpc;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * The one backoff rule of Basalt: capped exponential delays with optional jitter and an optional cap on attempts.
 * Retry {@code n} (0 for the first retry) waits {@code step(n) = min(max, initial * multiplier^n)}; with jitter
 * {@code j} (0 to 1) the wait is drawn uniformly from {@code [step - step * j, step]}, so callers that failed together
 * do not retry together. Each caller keeps its own deadline (per I/O, per call): the policy only says how long to
 * wait before retry {@code n} and whether {@code n} is still allowed ({@link #allows}).
 *
 * <p>The presets are the constants each caller had before they shared this class, so behaviour did not change:
 * see {@link #CLIENT_IO}, {@link #META_CALL}, {@link #REPLICATE}, {@link #RECOVERY}, {@link #ZK_CLIENT}.
 *
 * <p>Immutable and thread-safe; a pure function of its inputs (no I/O, no clock). Randomness comes from the caller's
 * thread ({@link ThreadLocalRandom}) unless a {@link RandomGenerator} is passed (tests pass a fixed one).
 *
 * @param initial the wait before the first retry (before jitter)
 * @param max the cap of every wait (before jitter)
 * @param multiplier growth of the wait per retry (1 for a fixed delay)
 * @param jitter the fraction of each wait that is random, from 0 (none) to 1 (anywhere in {@code [0, step]})
 * @param maxAttempts retries allowed per operation, 0 for no cap (then only the caller's deadline ends it)
 */
public record RetryPolicy(Duration initial, Duration max, double multiplier, double jitter, int maxAttempts) {
  /**
   * Block client I/O ({@code IoRouter}): 10 ms doubling, capped by {@code ClientConfig.maxBackoff} (100 ms by
   * default, see {@link #withMax}), no jitter (every retry also re-reads the extent from meta), until the I/O's
   * deadline.
   */
  public static final RetryPolicy CLIENT_IO = exponential(Duration.ofMillis(10), Duration.ofMillis(100), 0);
  /**
   * Calls to the meta leader ({@code MetaClient}): 20 ms doubling up to 1 s, half of each step random (many chunks
   * lose the same leader at once), until the call's retry budget.
   */
  public static final RetryPolicy META_CALL = exponential(Duration.ofMillis(20), Duration.ofSeconds(1), 0.5);
  /**
   * An owner resending a replica's unacked writes ({@code ReplicaPipe}): 25 ms doubling up to 1 s, no jitter,
   * uncapped (removing a dead replica is recovery's job, not the pipe's).
   */
  public static final RetryPolicy REPLICATE = exponential(Duration.ofMillis(25), Duration.ofSeconds(1), 0);
  /**
   * A recovery target's failed batch or barrier ({@code RecoveryTask}): 50 ms doubling up to the recovery
   * context's max backoff (1 s, see {@link #withMax}), no jitter, until the task is cancelled.
   */
  public static final RetryPolicy RECOVERY = exponential(Duration.ofMillis(50), Duration.ofSeconds(1), 0);
  /**
   * ZooKeeper clients' own retries of one operation (Curator): 100 ms base, 2 s cap, 5 retries. Curator applies
   * these constants with its {@code ExponentialBackoffRetry}, which draws its multiplier at random (see the
   * session module's {@code CuratorRetry}), so {@link #delayMillis} is not what Curator sleeps.
   */
  public static final RetryPolicy ZK_CLIENT = new RetryPolicy(Duration.ofMillis(100), Duration.ofSeconds(2), 2, 0, 5);

  public RetryPolicy {
    if (initial == null || initial.isNegative()) {
      throw new IllegalArgumentException("initial must be >= 0: " + initial);
    }
    if (max == null || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("max must be >= initial " + initial + ": " + max);
    }
    if (!(multiplier >= 1)) {
      throw new IllegalArgumentException("multiplier must be >= 1: " + multiplier);
    }
    if (!(jitter >= 0 && jitter <= 1)) {
      throw new IllegalArgumentException("jitter must be in [0, 1]: " + jitter);
    }
    if (maxAttempts < 0) {
      throw new IllegalArgumentException("maxAttempts must be >= 0: " + maxAttempts);
    }
  }

  /** Doubling from {@code initial} up to {@code max}, with {@code jitter}, no cap on attempts. */
  public static RetryPolicy exponential(Duration initial, Duration max, double jitter) {
    return new RetryPolicy(initial, max, 2, jitter, 0);
  }

  /** The same wait before every retry, no jitter, no cap on attempts. */
  public static RetryPolicy fixed(Duration delay) {
    return new RetryPolicy(delay, delay, 1, 0, 0);
  }

  /** This policy with another cap of the wait (a configured maximum backoff). */
  public RetryPolicy withMax(Duration newMax) {
    return new RetryPolicy(initial.compareTo(newMax) > 0 ? newMax : initial, newMax, multiplier, jitter, maxAttempts);
  }

  /** This policy with at most {@code attempts} retries per operation (0: no cap). */
  public RetryPolicy withMaxAttempts(int attempts) {
    return new RetryPolicy(initial, max, multiplier, jitter, attempts);
  }

  /** Whether retry {@code retry} (0 for the first) is allowed by the attempt cap. */
  public boolean allows(int retry) {
    return maxAttempts == 0 || retry < maxAttempts;
  }

  /** The wait before retry {@code retry} without jitter: {@code min(max, initial * multiplier^retry)} ms. */
  public long stepMillis(int retry) {
    double ms = initial.toMillis() * Math.pow(multiplier, Math.max(retry, 0));
    long cap = max.toMillis();
    return ms >= cap ? cap : (long) ms;
  }

  /** The wait in ms before retry {@code retry} (0 for the first), jittered with the calling thread's random. */
  public long delayMillis(int retry) {
    return jitter == 0 ? stepMillis(retry) : delayMillis(retry, ThreadLocalRandom.current());
  }

  /** As {@link #delayMillis(int)}, drawing the jitter from {@code random}. */
  public long delayMillis(int retry, RandomGenerator random) {
    long step = stepMillis(retry);
    long spread = (long) (step * jitter);
    return spread == 0 ? step : step - spread + random.nextLong(spread + 1);
  }
}
