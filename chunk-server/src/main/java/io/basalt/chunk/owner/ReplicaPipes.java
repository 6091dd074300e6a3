package io.basalt.chunk.owner;

import io.basalt.chunk.core.ChunkMetrics;
import io.basalt.common.NamedThreads;
import io.basalt.common.OrderedExecutor;
import io.basalt.failpoint.Failpoints;
import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.RetryPolicy;
import io.basalt.rpc.RpcClientFactory;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every {@link ReplicaPipe} of one chunk server shares: the RPC clients to peers, the ordered executor that
 * callbacks hop back onto, the retry timer thread ({@code basalt-chunk-retry-N}, it only hops), metrics and the
 * per-peer backlog bound. Thread-safe.
 */
public final class ReplicaPipes implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReplicaPipes.class);

  private final RpcClientFactory rpc;
  private final OrderedExecutor ordered;
  private final ChunkMetrics metrics;
  private final PeerBacklog backlog;
  private final Duration replicateTimeout;
  private final ScheduledExecutorService timer;
  private final Failpoints failpoints;

  public ReplicaPipes(RpcClientFactory rpc, OrderedExecutor ordered, ChunkMetrics metrics, PeerBacklog backlog,
      Duration replicateTimeout, Failpoints failpoints) {
    this.failpoints = failpoints;
    this.rpc = rpc;
    this.ordered = ordered;
    this.metrics = metrics;
    this.backlog = backlog;
    this.replicateTimeout = replicateTimeout;
    this.timer = Executors.newSingleThreadScheduledExecutor(new NamedThreads("chunk-retry"));
  }

  RpcClientFactory rpc() {
    return rpc;
  }

  Failpoints failpoints() {
    return failpoints;
  }

  ChunkMetrics metrics() {
    return metrics;
  }

  PeerBacklog backlog() {
    return backlog;
  }

  Duration replicateTimeout() {
    return replicateTimeout;
  }

  /** Runs {@code task} on the pid's ordered thread and completes with its result. */
  <T> CompletableFuture<T> submit(long pid, Callable<T> task) {
    return ordered.submit(pid, () -> {
      try {
        return task.call();
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new CompletionException(e);
      }
    });
  }

  /**
   * Runs {@code task} on the pid's ordered thread and waits for it; for takeover threads only (a pid thread calling
   * this would wait for itself).
   */
  public <T> T call(long pid, Callable<T> task) {
    try {
      return submit(pid, task).get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw BasaltException.of(e);
    } catch (TimeoutException e) {
      throw new BasaltException(ErrorCode.TIMEOUT, "pid=" + pid + " ordered thread busy for 30 s", true, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BasaltException(ErrorCode.UNAVAILABLE, "interrupted", true, e);
    }
  }

  /** Runs {@code task} on the pid's ordered thread; dropped (logged) once the executor is shut down. */
  void hop(long pid, Runnable task) {
    try {
      ordered.execute(pid, task);
    } catch (RejectedExecutionException e) {
      log.debug("ordered executor closed, dropping replicate callback pid={}", pid);
    }
  }

  /** Runs {@code task} on the pid's thread once the thread's current round is done (see OrderedExecutor#afterRound). */
  void afterRound(long pid, Runnable task) {
    try {
      ordered.afterRound(pid, task);
    } catch (RejectedExecutionException e) {
      log.debug("ordered executor closed, dropping task pid={}", pid);
    }
  }

  /** Runs {@code task} on the pid's ordered thread after {@code delayMs}. */
  void schedule(long pid, long delayMs, Runnable task) {
    try {
      timer.schedule(() -> hop(pid, task), delayMs, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      log.debug("retry timer closed, dropping resend pid={}", pid);
    }
  }

  /** Capped exponential backoff after {@code failures} consecutive failed rounds (>= 1). */
  static long backoffMs(int failures) {
    return RetryPolicy.REPLICATE.delayMillis(failures - 1);
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
