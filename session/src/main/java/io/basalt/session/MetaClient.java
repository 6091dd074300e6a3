package io.basalt.session;

import io.basalt.common.NamedThreads;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.NotLeaderException;
import io.basalt.rpc.RpcClientFactory;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls the meta leader wherever it is: finds it through a {@link MetaLocator}, follows NOT_LEADER redirects and
 * retries retryable errors (no leader yet, NOT_READY, UNAVAILABLE) with capped exponential backoff until the
 * retry budget is spent. Each attempt has its own deadline. Thread-safe.
 */
public final class MetaClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MetaClient.class);
  private final MetaLocator locator;
  private final RpcClientFactory rpc;
  private final Duration attemptDeadline;
  private final Duration retryBudget;
  private final ScheduledExecutorService timer;

  public MetaClient(MetaLocator locator, RpcClientFactory rpc, Duration attemptDeadline, Duration retryBudget) {
    this.locator = locator;
    this.rpc = rpc;
    this.attemptDeadline = attemptDeadline;
    this.retryBudget = retryBudget;
    this.timer = Executors.newSingleThreadScheduledExecutor(new NamedThreads("meta-client-retry"));
  }

  public MetaClient(MetaLocator locator, RpcClientFactory rpc) {
    this(locator, rpc, Duration.ofSeconds(10), Duration.ofSeconds(30));
  }

  /** Sends {@code request} to the leader; completes with the OK response or the last error. */
  public CompletableFuture<Envelope> call(Envelope.Builder request) {
    CompletableFuture<Envelope> result = new CompletableFuture<>();
    attempt(request, System.nanoTime() + retryBudget.toNanos(), 0, result);
    return result;
  }

  /** {@link #call} and wait (for CLI and startup paths, never event loops). */
  public Envelope callSync(Envelope.Builder request) {
    try {
      return call(request).join();
    } catch (RuntimeException e) {
      throw BasaltException.of(e);
    }
  }

  private void attempt(Envelope.Builder request, long giveUpAt, int attemptNo, CompletableFuture<Envelope> result) {
    Optional<String> leader = locator.leaderAddress();
    if (leader.isEmpty()) {
      retryOrFail(request, giveUpAt, attemptNo, result,
          new BasaltException(ErrorCode.NOT_READY, "no active meta leader", true));
      return;
    }
    String address = leader.get();
    rpc.client(address).call(request.clone(), attemptDeadline).whenComplete((resp, err) -> {
      if (err == null) {
        result.complete(resp);
        return;
      }
      BasaltException e = BasaltException.of(err);
      if (e instanceof NotLeaderException nl) {
        locator.invalidate(nl.leaderAddress());
      } else if (e.code() == ErrorCode.UNAVAILABLE) {
        locator.invalidate(null);
      }
      retryOrFail(request, giveUpAt, attemptNo, result, e);
    });
  }

  private void retryOrFail(Envelope.Builder request, long giveUpAt, int attemptNo,
      CompletableFuture<Envelope> result, BasaltException e) {
    boolean retry = e.retryable() && e.code() != ErrorCode.TIMEOUT;
    long backoffMs = Math.min(1000, 20L << Math.min(attemptNo, 6));
    if (!retry || System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMs) > giveUpAt) {
      result.completeExceptionally(e);
      return;
    }
    log.debug("meta call {} attempt {} failed ({}), retrying in {} ms", request.getBodyCase(), attemptNo,
        e.getMessage(), backoffMs);
    try {
      timer.schedule(() -> attempt(request, giveUpAt, attemptNo + 1, result), backoffMs, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException closed) {
      result.completeExceptionally(e);
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
