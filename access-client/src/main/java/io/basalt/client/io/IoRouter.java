package io.basalt.client.io;

import io.basalt.client.ClientConfig;
import io.basalt.client.ClientMetrics;
import io.basalt.client.layout.ExtentLocation;
import io.basalt.client.layout.ExtentLocationCache;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.Frame;
import io.basalt.rpc.NotOwnerException;
import io.basalt.rpc.RpcClient;
import io.basalt.rpc.RpcClientFactory;
import io.netty.buffer.ByteBuf;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one volume's chunk requests to the lease owner of their extent (DESIGN.md "Write path", step 2; STYLE.md
 * Flow A, step 3). NOT_OWNER: adopt the named owner and retry at once. UNAVAILABLE, NOT_READY, STALE_EPOCH and
 * TIMEOUT: refresh the extent from meta and retry after a capped exponential backoff. Both until the per-I/O
 * deadline ({@link ClientConfig#ioDeadline()}) passes, then the I/O fails with the last error; a write failed that
 * way is in doubt (it may have been applied). Any other error fails at once.
 *
 * <p>A request's data is kept alive across attempts: each attempt sends a retained duplicate, and the router
 * releases the caller's reference when the I/O ends. Thread-safe; completions and retries run on RPC event loops,
 * the meta client's threads and the shared retry timer, never blocking.
 */
public final class IoRouter {
  private static final Logger log = LoggerFactory.getLogger(IoRouter.class);
  private static final Set<ErrorCode> REFRESH_AND_RETRY =
      EnumSet.of(ErrorCode.UNAVAILABLE, ErrorCode.NOT_READY, ErrorCode.STALE_EPOCH, ErrorCode.TIMEOUT,
          ErrorCode.NO_SESSION);
  /** Redirects followed back to back before backing off (owners pointing at each other during a lease move). */
  static final int MAX_IMMEDIATE_REDIRECTS = 3;
  static final long MIN_BACKOFF_MS = 10;

  private final RpcClientFactory rpc;
  private final ExtentLocationCache cache;
  private final ClientConfig config;
  private final ClientMetrics metrics;
  private final ScheduledExecutorService timer;
  private final long vid;

  public IoRouter(long vid, RpcClientFactory rpc, ExtentLocationCache cache, ClientConfig config,
      ClientMetrics metrics, ScheduledExecutorService timer) {
    this.vid = vid;
    this.rpc = rpc;
    this.cache = cache;
    this.config = config;
    this.metrics = metrics;
    this.timer = timer;
  }

  /**
   * Sends the request {@code request} builds from the current location of extent {@code index} (which must be
   * allocated), with {@code data} (may be null; ownership passes to the router). Completes with the reply frame,
   * which the caller releases.
   */
  public CompletableFuture<Frame> send(int index, Function<ExtentLocation, Envelope.Builder> request, ByteBuf data) {
    Attempts a = new Attempts(index, request, data);
    a.next();
    return a.result;
  }

  /** The state of one I/O across its attempts. */
  private final class Attempts {
    final int index;
    final Function<ExtentLocation, Envelope.Builder> request;
    final ByteBuf data;
    final long deadlineNanos = System.nanoTime() + config.ioDeadline().toNanos();
    final CompletableFuture<Frame> result = new CompletableFuture<>();
    boolean mutating;
    int retries;
    int redirects;
    BasaltException last;

    Attempts(int index, Function<ExtentLocation, Envelope.Builder> request, ByteBuf data) {
      this.index = index;
      this.request = request;
      this.data = data;
    }

    void next() {
      long left = deadlineNanos - System.nanoTime();
      ExtentLocation loc = cache.get(index);
      if (left <= 0 || loc == null) {
        finish(null, last != null ? last : new BasaltException(loc == null ? ErrorCode.NO_SUCH_EXTENT
            : ErrorCode.TIMEOUT, "vid=" + vid + " index=" + index + (loc == null ? " is not allocated"
            : " deadline passed before the first attempt"), false));
        return;
      }
      String target = loc.target();
      CompletableFuture<Frame> call;
      try {
        Envelope.Builder req = request.apply(loc);
        mutating = req.getBodyCase() == Envelope.BodyCase.WRITE;
        RpcClient client = rpc.client(target);
        Duration d = Duration.ofNanos(Math.min(config.callDeadline().toNanos(), left));
        call = client.call(req, data == null ? null : data.retainedDuplicate(), d);
      } catch (RuntimeException e) {
        call = CompletableFuture.failedFuture(e);
      }
      call.whenComplete((frame, err) -> {
        if (err == null) {
          finish(frame, null);
        } else {
          onError(loc, target, BasaltException.of(err));
        }
      });
    }

    void onError(ExtentLocation sent, String target, BasaltException e) {
      last = e;
      if (e instanceof NotOwnerException no) {
        metrics.redirected();
        ExtentLocation moved = cache.redirect(sent, no.ownerCid(), no.ownerAddress());
        log.debug("not owner vid={} pid={} epoch={} at {} -> owner cid={} at {}", vid, sent.pid(), sent.epoch(),
            target, no.ownerCid(), moved.target());
        if (!moved.target().equals(target) && ++redirects <= MAX_IMMEDIATE_REDIRECTS) {
          next();
        } else {
          retryLater(sent, e);
        }
      } else if (REFRESH_AND_RETRY.contains(e.code())) {
        retryLater(sent, e);
      } else {
        finish(null, e);
      }
    }

    void retryLater(ExtentLocation sent, BasaltException e) {
      redirects = 0;
      long backoffMs = Math.min(config.maxBackoff().toMillis(), MIN_BACKOFF_MS << Math.min(retries, 16));
      if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMs) >= deadlineNanos) {
        log.warn("giving up vid={} pid={} epoch={} cid={} after {} retries: {}", vid, sent.pid(), sent.epoch(),
            sent.ownerCid(), retries, e.getMessage());
        finish(null, e);
        return;
      }
      retries++;
      metrics.retried();
      log.debug("retrying vid={} pid={} epoch={} cid={} in {} ms (retry {}): {}", vid, sent.pid(), sent.epoch(),
          sent.ownerCid(), backoffMs, retries, e.getMessage());
      // Wait for the refresh (bounded) as well as the backoff, so the retry uses what meta says now.
      CompletableFuture<Void> refreshed = cache.refresh(index)
          .handle((loc, err) -> (Void) null)
          .completeOnTimeout(null, config.callDeadline().toMillis(), TimeUnit.MILLISECONDS);
      try {
        timer.schedule(() -> refreshed.whenComplete((v, err) -> next()), backoffMs, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException closed) {
        finish(null, e);
      }
    }

    void finish(Frame frame, BasaltException error) {
      if (data != null) {
        data.release();
      }
      if (error == null) {
        result.complete(frame);
        return;
      }
      if (mutating && (retries > 0 || error.code() == ErrorCode.TIMEOUT)) {
        metrics.failedInDoubt();
        log.warn("write in doubt vid={} index={} after {} retries: {}", vid, index, retries, error.getMessage());
      }
      result.completeExceptionally(error);
    }
  }
}
