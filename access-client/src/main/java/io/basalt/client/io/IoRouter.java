package io.basalt.client.io;

import io.basalt.client.volume.IoCallback;
import io.basalt.client.layout.ExtentLocation;
import io.basalt.client.layout.ExtentLocationCache;
import io.basalt.common.MonotonicClock;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.Frame;
import io.basalt.rpc.NotOwnerException;
import io.basalt.rpc.RetryPolicy;
import io.basalt.rpc.Retryability;
import io.basalt.rpc.RpcClient;
import io.basalt.rpc.RpcClientFactory;
import io.basalt.rpc.StaleEpochException;
import io.netty.buffer.ByteBuf;
import io.netty.util.Timeout;
import io.netty.util.Timer;
import io.netty.util.TimerTask;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one volume's chunk requests to the lease owner of their extent (DESIGN.md "Write path", step 2; STYLE.md
 * Flow A, step 3). NOT_OWNER: adopt the named owner and retry at once. Errors {@link
 * Retryability#isRetryableAfterRefresh} (UNAVAILABLE, NOT_READY, STALE_EPOCH, NO_SESSION, TIMEOUT, DEADLINE_EXCEEDED
 * and any error flagged retryable): refresh the extent from meta and retry after the backoff of
 * {@link ClientConfig#retryPolicy()} ({@link RetryPolicy#CLIENT_IO}). Both until the per-I/O
 * deadline ({@link ClientConfig#ioDeadline()}) passes, then the I/O fails with the last error; a write failed that
 * way is in doubt (it may have been applied). Any other error fails at once.
 *
 * <p>Hedging (DESIGN.md "Write path" 2): an attempt unanswered for {@link ClientConfig#hedgeAfter()} makes the router
 * ask meta where the extent's lease is now; when it has moved away from where the attempt went (a silent owner whose
 * session expired), the attempt is given up and the I/O goes to the new owner at once. The given-up attempt cannot
 * take effect any more: its target's lease ended before meta moved it.
 *
 * <p>Cancellation (DESIGN.md "Write path" 5): every I/O belongs to an {@link IoScope}; once the scope is cancelled
 * (its NBD connection closed) the I/O is never attempted again and fails CANCELLED. The scope counts the attempts
 * still on the wire, so a reconnecting client is not served before they have ended. An attempt that timed out is
 * counted {@link #LATE_ARRIVAL_SLACK} longer: the owner refuses a write that reaches it after its deadline, and
 * the slack covers the network delay before the deadline started there.
 *
 * <p>A request's data is kept alive across attempts: each attempt sends a retained duplicate, and the router
 * releases the caller's reference when the I/O ends. Thread-safe; completions and retries run on RPC event loops,
 * the meta client's threads and the shared retry timer, never blocking and without locks. The per-I/O deadline is
 * read on the injected {@link MonotonicClock} (unit tests drive it by hand).
 */
public final class IoRouter {
  private static final Logger log = LoggerFactory.getLogger(IoRouter.class);
  /** Redirects followed back to back before backing off (owners pointing at each other during a lease move). */
  static final int MAX_IMMEDIATE_REDIRECTS = 3;
  /** How long a timed-out attempt still counts as on the wire (see the class comment). */
  public static final Duration LATE_ARRIVAL_SLACK = Duration.ofSeconds(1);

  private final RpcClientFactory rpc;
  private final ExtentLocationCache cache;
  private final ClientConfig config;
  private final RetryPolicy backoff;
  private final ClientMetrics metrics;
  private final Timer timer;
  private final long vid;
  private final MonotonicClock clock;

  public IoRouter(long vid, RpcClientFactory rpc, ExtentLocationCache cache, ClientConfig config,
      ClientMetrics metrics, Timer timer) {
    this(vid, rpc, cache, config, metrics, timer, MonotonicClock.SYSTEM);
  }

  /** As above, reading I/O deadlines on {@code clock}. */
  public IoRouter(long vid, RpcClientFactory rpc, ExtentLocationCache cache, ClientConfig config,
      ClientMetrics metrics, Timer timer, MonotonicClock clock) {
    this.vid = vid;
    this.clock = clock;
    this.rpc = rpc;
    this.cache = cache;
    this.config = config;
    this.backoff = config.retryPolicy();
    this.metrics = metrics;
    this.timer = timer;
  }

  /**
   * Sends the request {@code request} builds from the current location of extent {@code index} (which must be
   * allocated), with {@code data} (may be null; ownership passes to the router), on behalf of {@code scope}.
   * Completes with the reply frame, which the caller releases.
   */
  public CompletableFuture<Frame> send(int index, Function<ExtentLocation, Envelope.Builder> request, ByteBuf data,
      IoScope scope) {
    CompletableFuture<Frame> result = new CompletableFuture<>();
    send(index, request, data, scope, IoCallback.of(result));
    return result;
  }

  /** As {@link #send(int, Function, ByteBuf, IoScope)}, completing {@code done} directly (no future). */
  public void send(int index, Function<ExtentLocation, Envelope.Builder> request, ByteBuf data, IoScope scope,
      IoCallback<Frame> done) {
    new Attempts(index, request, data, scope, done).next();
  }

  /**
   * One attempt: where it went, and whether the scope still counts it on the wire. It is the callback of its call and
   * the task of its hedge timer.
   */
  private static final class Try implements RpcClient.ReplyCallback, TimerTask {
    final Attempts io;
    final ExtentLocation sent;
    final String target;
    final AtomicBoolean ended = new AtomicBoolean();
    volatile Timeout hedge;

    Try(Attempts io, ExtentLocation sent, String target) {
      this.io = io;
      this.sent = sent;
      this.target = target;
    }

    @Override
    public void onReply(Frame reply, Throwable error) {
      io.onReply(this, reply, error);
    }

    @Override
    public void run(Timeout timeout) {
      io.hedge(this);
    }
  }

  /**
   * The state of one I/O across its attempts. One chain of callbacks drives it at a time: the attempt in flight is
   * {@link #current}, and whichever of its reply and its hedge takes it out of there (compare-and-set) carries the
   * I/O on; the other backs off. So the plain fields are only touched by the chain that holds the I/O, and ordered by
   * that compare-and-set.
   */
  private final class Attempts {
    final int index;
    final Function<ExtentLocation, Envelope.Builder> request;
    final ByteBuf data;
    final IoScope scope;
    final long deadlineNanos = clock.nanoTime() + config.ioDeadline().toNanos();
    final IoCallback<Frame> done;
    final AtomicReference<Try> current = new AtomicReference<>();
    /** Addresses this I/O gave up on as silent: a replica asked to take the lease should be another one. */
    List<String> silent = List.of();
    boolean mutating;
    boolean sentAny;
    int retries;
    int redirects;
    BasaltException last;

    Attempts(int index, Function<ExtentLocation, Envelope.Builder> request, ByteBuf data, IoScope scope,
        IoCallback<Frame> done) {
      this.index = index;
      this.request = request;
      this.data = data;
      this.scope = scope;
      this.done = done;
    }

    void next() {
      if (scope.cancelled()) {
        finish(null, cancelled());
        return;
      }
      long left = deadlineNanos - clock.nanoTime();
      ExtentLocation loc = cache.get(index);
      if (left <= 0 || loc == null) {
        finish(null, last != null ? last : new BasaltException(loc == null ? ErrorCode.NO_SUCH_EXTENT
            : ErrorCode.TIMEOUT, "vid=" + vid + " index=" + index + (loc == null ? " is not allocated"
            : " deadline passed before the first attempt"), false));
        return;
      }
      String target = loc.target(silent);
      Duration d = Duration.ofNanos(Math.min(config.callDeadline().toNanos(), left));
      Envelope.Builder req;
      RpcClient client;
      try {
        req = request.apply(loc);
        mutating = req.getBodyCase() == Envelope.BodyCase.WRITE;
        client = rpc.client(target);
      } catch (RuntimeException e) {
        Try t = new Try(this, loc, target);
        t.ended.set(true); // nothing went on the wire
        current.set(t);
        onReply(t, null, e);
        return;
      }
      if (!scope.attemptStarted()) {
        finish(null, cancelled());
        return;
      }
      sentAny = true;
      Try t = new Try(this, loc, target);
      current.set(t);
      ByteBuf dup = data == null ? null : data.retainedDuplicate();
      try {
        client.call(req, dup, d, t);
      } catch (RuntimeException e) {
        onReply(t, null, e);
      }
      if (current.get() == t) {
        armHedge(t); // not answered yet (a reply racing this only makes the hedge find nothing to do)
      }
    }

    void onReply(Try t, Frame frame, Throwable err) {
      Timeout h = t.hedge;
      if (h != null) {
        h.cancel();
      }
      BasaltException e = err == null ? null : BasaltException.of(err);
      if (e != null && e.code() == ErrorCode.TIMEOUT) {
        endLater(t); // it may still reach the owner: see the class comment
      } else {
        end(t);
      }
      if (!current.compareAndSet(t, null)) {
        if (frame != null) {
          frame.release(); // an attempt a hedge gave up: the I/O went on elsewhere
        }
        return;
      }
      if (e == null) {
        finish(frame, null);
      } else {
        onError(t, e);
      }
    }

    private void end(Try t) {
      if (t.ended.compareAndSet(false, true)) {
        scope.attemptEnded();
      }
    }

    private void endLater(Try t) {
      if (!schedule(() -> end(t), LATE_ARRIVAL_SLACK.toMillis())) {
        end(t);
      }
    }

    private void armHedge(Try t) {
      try {
        t.hedge = timer.newTimeout(t, config.hedgeAfter().toMillis(), TimeUnit.MILLISECONDS);
      } catch (IllegalStateException closed) {
        // shutting down: the attempt's own deadline ends it
      }
    }

    /** The attempt is still unanswered: give it up if meta moved the lease away from its target. */
    private void hedge(Try t) {
      if (current.get() != t || scope.cancelled()) {
        return;
      }
      cache.refresh(index).whenComplete((fresh, err) -> {
        if (current.get() != t) {
          return;
        }
        if (fresh == null || err != null || !movedAway(t, fresh)) {
          armHedge(t);
          return;
        }
        if (!current.compareAndSet(t, null)) {
          return; // answered meanwhile
        }
        metrics.hedged();
        log.info("giving up a silent attempt vid={} index={} pid={} epoch={} at {} (owner cid={}): meta now names"
            + " owner cid={} epoch={} replicas={}", vid, index, t.sent.pid(), t.sent.epoch(), t.target,
            t.sent.ownerCid(), fresh.ownerCid(), fresh.epoch(), fresh.replicas());
        if (!silent.contains(t.target)) {
          List<String> more = new ArrayList<>(silent);
          more.add(t.target);
          silent = more;
        }
        last = new BasaltException(ErrorCode.UNAVAILABLE, "no answer from " + t.target + " pid=" + t.sent.pid()
            + " and its lease moved", true);
        retries++;
        // Its target lost the lease before meta moved it: the attempt can no longer take effect.
        end(t);
        next();
      });
    }

    /**
     * Whether meta's {@code fresh} view says attempt {@code t} can no longer take effect where it went: another chunk
     * holds the lease, or the chunk it went to left the membership (its session expired, or its owner reported it
     * failed). Either way that chunk's lease ended before meta moved on. An extent with no owner at all is not
     * enough: a new meta leader knows no owner until they report in, and the owner may be alive and well.
     */
    private boolean movedAway(Try t, ExtentLocation fresh) {
      ExtentLocation sent = t.sent;
      if (fresh.pid() != sent.pid()) {
        return false;
      }
      if (!fresh.addresses().contains(t.target)) {
        return true;
      }
      return fresh.ownerCid() != 0 && !fresh.target().equals(t.target);
    }

    void onError(Try t, BasaltException e) {
      last = e;
      ExtentLocation sent = t.sent;
      String target = t.target;
      if (e instanceof NotOwnerException no) {
        metrics.redirected();
        ExtentLocation moved = cache.redirect(sent, no.ownerCid(), no.ownerAddress());
        if (log.isDebugEnabled()) {
          log.debug("not owner vid={} pid={} epoch={} at {} -> owner cid={} at {}", vid, sent.pid(), sent.epoch(),
              target, no.ownerCid(), moved.target());
        }
        if (!moved.target().equals(target) && ++redirects <= MAX_IMMEDIATE_REDIRECTS) {
          next();
        } else {
          retryLater(sent, e);
        }
      } else if (e instanceof StaleEpochException stale && stale.currentEpoch() > sent.epoch()
          && ++redirects <= MAX_IMMEDIATE_REDIRECTS) {
        // The extent moved on since the client last read it (a lease granted, a membership change): a live I/O
        // re-sends at once, at that epoch at least, to where meta says the extent is now (no backoff: nothing
        // failed). A cancelled one never gets here.
        metrics.retried();
        retries++;
        cache.epochMoved(sent, stale.currentEpoch());
        cache.refresh(index).handle((loc, err) -> (Void) null)
            .completeOnTimeout(null, config.callDeadline().toMillis(), TimeUnit.MILLISECONDS)
            .whenComplete((v, err) -> next());
      } else if (Retryability.isRetryableAfterRefresh(e)) {
        retryLater(sent, e);
      } else {
        finish(null, e);
      }
    }

    void retryLater(ExtentLocation sent, BasaltException e) {
      redirects = 0;
      long backoffMs = backoff.delayMillis(retries);
      if (scope.cancelled()) {
        finish(null, cancelled());
        return;
      }
      if (clock.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMs) >= deadlineNanos) {
        log.warn("giving up vid={} pid={} epoch={} cid={} after {} retries: {}", vid, sent.pid(), sent.epoch(),
            sent.ownerCid(), retries, e.getMessage());
        finish(null, e);
        return;
      }
      retries++;
      metrics.retried();
      if (log.isDebugEnabled()) {
        log.debug("retrying vid={} pid={} epoch={} cid={} in {} ms (retry {}): {}", vid, sent.pid(), sent.epoch(),
            sent.ownerCid(), backoffMs, retries, e.getMessage());
      }
      // Wait for the refresh (bounded) as well as the backoff, so the retry uses what meta says now.
      CompletableFuture<Void> refreshed = cache.refresh(index)
          .handle((loc, err) -> (Void) null)
          .completeOnTimeout(null, config.callDeadline().toMillis(), TimeUnit.MILLISECONDS);
      if (!schedule(() -> refreshed.whenComplete((v, err) -> next()), backoffMs)) {
        finish(null, e);
      }
    }

    /** Runs {@code task} in {@code ms} on the timer; false when the timer is stopped (the client is closing). */
    private boolean schedule(Runnable task, long ms) {
      try {
        timer.newTimeout(x -> task.run(), ms, TimeUnit.MILLISECONDS);
        return true;
      } catch (IllegalStateException closed) {
        return false;
      }
    }

    BasaltException cancelled() {
      metrics.cancelled();
      return new BasaltException(ErrorCode.CANCELLED, "vid=" + vid + " index=" + index + " given up: "
          + scope.name() + " closed" + (last == null ? "" : " (last error: " + last.getMessage() + ")"), false);
    }

    void finish(Frame frame, BasaltException error) {
      if (data != null) {
        data.release();
      }
      if (error == null) {
        done.done(frame, null);
        return;
      }
      if (mutating && sentAny
          && (retries > 0 || error.code() == ErrorCode.TIMEOUT || error.code() == ErrorCode.CANCELLED)) {
        metrics.failedInDoubt();
        log.warn("write in doubt vid={} index={} after {} retries: {}", vid, index, retries, error.getMessage());
      }
      done.done(null, error);
    }
  }
}
