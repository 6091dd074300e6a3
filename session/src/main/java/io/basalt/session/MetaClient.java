package io.basalt.session;

import io.basalt.common.MonotonicClock;
import io.basalt.common.NamedThreads;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.NotLeaderException;
import io.basalt.rpc.RetryPolicy;
import io.basalt.rpc.Retryability;
import io.basalt.rpc.RpcClientFactory;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls the meta leader wherever it is: finds it through a {@link MetaLocator}, follows NOT_LEADER redirects and
 * retries retryable errors (no leader yet, NOT_READY, UNAVAILABLE) with capped, jittered exponential backoff until
 * the retry budget is spent. Each attempt has its own deadline.
 *
 * <p>A leader that went silent (stopped, partitioned) answers nothing, so timeouts count against its address:
 * after {@link #SWITCH_AFTER_TIMEOUTS} in a row the locator is invalidated and the next attempt re-reads
 * ZooKeeper. A timed-out call is sent again only when that is safe ({@link ResendSafety}); otherwise the TIMEOUT
 * goes to the caller as before. When the locator sees a new leader published, attempts safe to resend that still
 * wait on another address are sent to it at once instead of waiting out their deadline.
 *
 * <p>Every answer passes the locator's {@link MetaEpochFence}: one stamped with an epoch older than one already
 * seen (a deposed leader that has not noticed) is never handed to the caller; it is retried as a stale-leader
 * NOT_LEADER after invalidating the locator. Thread-safe; never blocks the caller's thread (a ZooKeeper look-up
 * runs on this client's retry thread).
 */
public final class MetaClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MetaClient.class);
  /** Consecutive timeouts of one address before it is dropped and ZooKeeper re-read. */
  public static final int SWITCH_AFTER_TIMEOUTS = 2;
  /** Backoff between attempts of one call ({@link RetryPolicy#META_CALL}: 20 ms doubling to 1 s, half jittered). */
  static final RetryPolicy BACKOFF = RetryPolicy.META_CALL;

  private final MetaLocator locator;
  private final RpcClientFactory rpc;
  private final Duration attemptDeadline;
  private final Duration retryBudget;
  private final MonotonicClock clock;
  private final ScheduledExecutorService timer;
  /** Attempts safe to resend, still waiting for their answer. */
  private final Set<Attempt> inFlight = ConcurrentHashMap.newKeySet();
  private final AutoCloseable publishedListener;
  /** Consecutive timeouts of {@link #failingAddress}; guarded by this. */
  private String failingAddress;
  private int timeouts;

  public MetaClient(MetaLocator locator, RpcClientFactory rpc, Duration attemptDeadline, Duration retryBudget) {
    this(locator, rpc, attemptDeadline, retryBudget, MonotonicClock.SYSTEM);
  }

  /** As above, judging the retry budget on {@code clock} (unit tests drive it by hand). */
  public MetaClient(MetaLocator locator, RpcClientFactory rpc, Duration attemptDeadline, Duration retryBudget,
      MonotonicClock clock) {
    this.clock = clock;
    this.locator = locator;
    this.rpc = rpc;
    this.attemptDeadline = attemptDeadline;
    this.retryBudget = retryBudget;
    this.timer = Executors.newSingleThreadScheduledExecutor(new NamedThreads("meta-client-retry"));
    this.publishedListener = locator.onLeaderPublished(this::leaderPublished);
  }

  public MetaClient(MetaLocator locator, RpcClientFactory rpc) {
    this(locator, rpc, Duration.ofSeconds(10), Duration.ofSeconds(30));
  }

  /** The epoch fence shared with every MetaClient of this locator (seen epoch, refused answers). */
  public MetaEpochFence epochs() {
    return locator.epochs();
  }

  /** Sends {@code request} to the leader; completes with the OK response or the last error. */
  public CompletableFuture<Envelope> call(Envelope.Builder request) {
    CompletableFuture<Envelope> result = new CompletableFuture<>();
    long giveUpAt = clock.nanoTime() + retryBudget.toNanos();
    Optional<String> cached = locator.cachedAddress();
    if (cached.isPresent()) {
      send(request, cached.get(), giveUpAt, 0, result);
    } else {
      // the look-up may block on ZooKeeper: never on the caller's thread, which may be an event loop
      schedule(() -> attempt(request, giveUpAt, 0, result), 0, result,
          new BasaltException(ErrorCode.UNAVAILABLE, "meta client closed", false));
    }
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

  /** On the retry thread. */
  private void attempt(Envelope.Builder request, long giveUpAt, int attemptNo, CompletableFuture<Envelope> result) {
    Optional<String> leader = locator.leaderAddress();
    if (leader.isEmpty()) {
      retryOrFail(request, giveUpAt, attemptNo, result,
          new BasaltException(ErrorCode.NOT_READY, "no active meta leader", true));
      return;
    }
    send(request, leader.get(), giveUpAt, attemptNo, result);
  }

  private void send(Envelope.Builder request, String address, long giveUpAt, int attemptNo,
      CompletableFuture<Envelope> result) {
    Attempt a = new Attempt(request, address, giveUpAt, attemptNo, result);
    if (ResendSafety.safe(request)) {
      inFlight.add(a); // may be abandoned for a newly published leader
    }
    CompletableFuture<Envelope> answer;
    try {
      answer = rpc.client(address).call(request.clone(), attemptDeadline);
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    answer.whenComplete((resp, err) -> {
      if (a.settle()) {
        onAnswer(a, resp, err);
      }
    });
  }

  private void onAnswer(Attempt a, Envelope resp, Throwable err) {
    Envelope.Builder request = a.request;
    String address = a.address;
    BasaltException e = err == null ? null : BasaltException.of(err);
    long epoch = err == null ? resp.getMetaEpoch() : e.metaEpoch();
    if (!locator.epochs().admit(epoch, address, request.getBodyCase())) {
      locator.invalidate(null);
      if (err == null && !ResendSafety.safe(request)) {
        // a deposed leader carried it out or not: the caller decides, as after a timeout
        a.result.completeExceptionally(new BasaltException(ErrorCode.TIMEOUT, "answer to " + request.getBodyCase()
            + " came from a stale meta leader epoch=" + epoch + " address=" + address + "; outcome unknown", true));
        return;
      }
      retryOrFail(request, a.giveUpAt, a.attemptNo, a.result, new NotLeaderException("", "stale meta leader epoch="
          + epoch + " below seen epoch=" + locator.epochs().seen() + " at " + address));
      return;
    }
    if (err == null) {
      answered(address);
      a.result.complete(resp);
      return;
    }
    if (e instanceof NotLeaderException nl) {
      locator.invalidate(nl.leaderAddress());
    } else if (e.code() == ErrorCode.UNAVAILABLE) {
      locator.invalidate(null);
    } else if (e.code() == ErrorCode.TIMEOUT) {
      timedOut(address, request);
    } else {
      answered(address);
    }
    retryOrFail(request, a.giveUpAt, a.attemptNo, a.result, e);
  }

  /**
   * The locator saw a new leader published (locator's thread): attempts still waiting on another address and safe
   * to resend go to it now rather than waiting out their deadline at a leader that may be silent.
   */
  private void leaderPublished() {
    Optional<String> now = locator.cachedAddress();
    if (now.isEmpty()) {
      return;
    }
    for (Attempt a : inFlight) {
      if (!a.address.equals(now.get()) && a.settle()) {
        log.info("meta leader published address={}: resending {} now, not waiting for address={}", now.get(),
            a.request.getBodyCase(), a.address);
        schedule(() -> attempt(a.request, a.giveUpAt, a.attemptNo + 1, a.result), 0, a.result,
            new BasaltException(ErrorCode.UNAVAILABLE, "meta client closed", false));
      }
    }
  }

  /** One attempt in flight; its answer or a newly published leader settles it, whichever comes first. */
  private final class Attempt {
    final Envelope.Builder request;
    final String address;
    final long giveUpAt;
    final int attemptNo;
    final CompletableFuture<Envelope> result;
    private final AtomicBoolean settled = new AtomicBoolean();

    Attempt(Envelope.Builder request, String address, long giveUpAt, int attemptNo,
        CompletableFuture<Envelope> result) {
      this.request = request;
      this.address = address;
      this.giveUpAt = giveUpAt;
      this.attemptNo = attemptNo;
      this.result = result;
    }

    /** True for the one caller that may act on this attempt. */
    boolean settle() {
      if (!settled.compareAndSet(false, true)) {
        return false;
      }
      inFlight.remove(this);
      return true;
    }
  }

  /** A timeout of {@code address}; the {@link #SWITCH_AFTER_TIMEOUTS}th in a row drops it from the locator. */
  private void timedOut(String address, Envelope.Builder request) {
    boolean drop;
    synchronized (this) {
      if (!address.equals(failingAddress)) {
        failingAddress = address;
        timeouts = 0;
      }
      drop = ++timeouts >= SWITCH_AFTER_TIMEOUTS;
      if (drop) {
        timeouts = 0;
      }
    }
    if (drop) {
      log.warn("meta leader silent: {} timeouts in a row address={} call={}; re-reading the leader", 
          SWITCH_AFTER_TIMEOUTS, address, request.getBodyCase());
      locator.invalidate(null);
    }
  }

  /** {@code address} answered (anything but a timeout): its timeout streak ends. */
  private void answered(String address) {
    synchronized (this) {
      if (address.equals(failingAddress)) {
        timeouts = 0;
      }
    }
  }

  private void retryOrFail(Envelope.Builder request, long giveUpAt, int attemptNo,
      CompletableFuture<Envelope> result, BasaltException e) {
    boolean retry = Retryability.isRetryable(e) && (e.code() != ErrorCode.TIMEOUT || ResendSafety.safe(request));
    long backoffMs = BACKOFF.delayMillis(attemptNo);
    if (!retry || clock.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMs) > giveUpAt) {
      result.completeExceptionally(e);
      return;
    }
    log.debug("meta call {} attempt {} failed ({}), retrying in {} ms", request.getBodyCase(), attemptNo,
        e.getMessage(), backoffMs);
    schedule(() -> attempt(request, giveUpAt, attemptNo + 1, result), backoffMs, result, e);
  }

  private void schedule(Runnable task, long delayMs, CompletableFuture<Envelope> result, BasaltException ifClosed) {
    try {
      timer.schedule(() -> {
        try {
          task.run();
        } catch (RuntimeException t) {
          result.completeExceptionally(t);
        }
      }, delayMs, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closed) {
      result.completeExceptionally(ifClosed);
    }
  }

  @Override
  public void close() {
    try {
      publishedListener.close();
    } catch (Exception e) {
      log.debug("cannot remove the leader listener: {}", e.toString());
    }
    timer.shutdownNow();
  }
}
