package io.basalt.session;

import io.basalt.rpc.RetryPolicy;
import org.apache.curator.retry.ExponentialBackoffRetry;

/**
 * Curator's retry of one ZooKeeper operation, built from a {@link RetryPolicy}'s constants (base wait, cap, attempt
 * cap): every ZooKeeper client of Basalt uses {@link #zkClient()} ({@link RetryPolicy#ZK_CLIENT}). Curator sleeps
 * inside its own operations, so this stays Curator's {@link ExponentialBackoffRetry} (it draws the multiplier of each
 * retry at random in {@code [1, 2^(retry + 1))}). Pure; any thread.
 */
public final class CuratorRetry {
  private CuratorRetry() {}

  /** Curator's retry for every Basalt ZooKeeper client: {@link RetryPolicy#ZK_CLIENT} (100 ms, 5 retries, 2 s). */
  public static ExponentialBackoffRetry zkClient() {
    return of(RetryPolicy.ZK_CLIENT);
  }

  /** Curator's exponential retry with {@code policy}'s initial wait, attempt cap and maximum wait. */
  public static ExponentialBackoffRetry of(RetryPolicy policy) {
    return new ExponentialBackoffRetry((int) policy.initial().toMillis(), policy.maxAttempts(),
        (int) policy.max().toMillis());
  }
}
