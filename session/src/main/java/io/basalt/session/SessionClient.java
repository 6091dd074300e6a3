package io.basalt.session;

import io.basalt.common.MonotonicClock;
import io.basalt.common.NamedThreads;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.KeepAliveRequest;
import io.basalt.proto.KeepAliveResponse;
import io.basalt.rpc.BasaltException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@link FollowerSession}: a KeepAlive every keepalive interval on its own thread and (through a MetaClient
 * over its own RPC client factory) its own connection, so no data traffic, disk stall or busy executor delays it;
 * a check every tick so EXPIRED fires when the lease runs out even while the leader is silent. One keepalive is in
 * flight at a time, with a deadline of one interval. Transitions and answers go to the {@link Listener}, on this
 * runner's threads: keep it quick.
 */
public final class SessionClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SessionClient.class);

  /** What the session's owner does with it. */
  public interface Listener {
    /** A state change; EXPIRED means: stop acting as lease owner now. */
    void onTransition(FollowerSession.Transition t);

    /** Fills what this follower reports in each keepalive (held leases, usage, name). */
    default void fill(KeepAliveRequest.Builder request) {}

    /** A keepalive was answered (refresh and revoke lists). */
    default void onAnswer(KeepAliveResponse response) {}
  }

  private final SessionConfig cfg;
  private final FollowerSession session;
  private final MetaClient meta;
  private final Supplier<KeepAliveRequest.Builder> base;
  private final Listener listener;
  private final MonotonicClock clock;
  private final ScheduledExecutorService thread;
  private final AtomicBoolean inFlight = new AtomicBoolean();
  private final SessionMetrics metrics;
  private volatile boolean closed;

  /**
   * @param meta a MetaClient for keepalives only (its own RPC client factory, short retry budget)
   * @param base the request's fixed part (group, cid)
   */
  public SessionClient(SessionConfig cfg, FollowerSession session, MetaClient meta,
      Supplier<KeepAliveRequest.Builder> base, Listener listener, SessionMetrics metrics, MonotonicClock clock) {
    this.cfg = cfg;
    this.session = session;
    this.meta = meta;
    this.base = base;
    this.listener = listener;
    this.metrics = metrics;
    this.clock = clock;
    this.thread = Executors.newSingleThreadScheduledExecutor(new NamedThreads("session-keepalive"));
  }

  public FollowerSession session() {
    return session;
  }

  /** Sends the first keepalive now, then one per interval. */
  public SessionClient start() {
    long interval = cfg.keepaliveInterval().toNanos();
    long tick = cfg.tickInterval().toNanos();
    thread.scheduleAtFixedRate(this::keepAlive, 0, interval, TimeUnit.NANOSECONDS);
    thread.scheduleWithFixedDelay(() -> dispatch(session.check(clock.getAsLong())), tick, tick, TimeUnit.NANOSECONDS);
    return this;
  }

  private void keepAlive() {
    if (closed || !inFlight.compareAndSet(false, true)) {
      return; // the previous one is still within its deadline
    }
    try {
      dispatch(session.reconnecting());
      KeepAliveRequest.Builder req = base.get().setSessionUuid(session.uuid());
      req.setSessionEpoch(req.getSessionUuid().isEmpty() ? 0 : session.epoch());
      listener.fill(req);
      long sentAt = clock.getAsLong();
      meta.call(Envelope.newBuilder().setKeepAlive(req)).whenComplete((resp, err) -> {
        inFlight.set(false);
        long now = clock.getAsLong();
        metrics.keepAliveLatency(now - sentAt, err == null);
        if (closed) {
          return;
        }
        if (err == null) {
          KeepAliveResponse r = resp.getKeepAliveResponse();
          dispatch(session.answered(sentAt, r.getSessionUuid(), r.getSessionEpoch(),
              TimeUnit.MILLISECONDS.toNanos(r.getSessionTimeoutMs()), now));
          listener.onAnswer(r);
        } else {
          BasaltException e = BasaltException.of(err);
          log.debug("keepalive failed session={} epoch={} error={}", session.uuid(), session.epoch(), e.getMessage());
          dispatch(session.failed(e.code() == ErrorCode.NO_SESSION, e.getMessage(), now));
        }
      });
    } catch (RuntimeException e) {
      inFlight.set(false);
      log.warn("keepalive not sent session={} error={}", session.uuid(), e.toString());
    }
  }

  private void dispatch(FollowerSession.Transition t) {
    if (t == null) {
      return;
    }
    metrics.transition(t.to());
    try {
      listener.onTransition(t);
    } catch (RuntimeException e) {
      log.error("session listener failed on {} -> {} session={} epoch={}", t.from(), t.to(), t.uuid(), t.epoch(), e);
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.shutdownNow();
    try {
      thread.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    meta.close();
  }
}
