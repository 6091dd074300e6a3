package io.basalt.client.io;

import io.basalt.client.layout.ExtentLocation;
import io.basalt.client.layout.ExtentLocationCache;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.FlushRequest;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.Frame;
import io.basalt.rpc.Retryability;
import io.basalt.rpc.RpcClientFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One volume's extents written since their last successful flush, and the flush itself (DESIGN.md "Write path",
 * step 6: FLUSH returns only when every replica synced its WAL). A flush snapshots the dirty pids, groups them by
 * owner address and sends one FlushRequest per owner; a group whose owner moved or is unreachable falls back to
 * one routed FlushRequest per pid (redirects, refresh and retry as for writes).
 *
 * <p>Each mark carries a sequence number, and a flush clears only the marks it snapshotted: an extent written again
 * while the flush runs stays dirty for the next one. Marks are cleared only on success. Thread-safe.
 */
public final class FlushTracker {
  private static final Logger log = LoggerFactory.getLogger(FlushTracker.class);

  private record Mark(int index, long seq) {}

  private final long vid;
  private final RpcClientFactory rpc;
  private final ExtentLocationCache cache;
  private final IoRouter router;
  private final ClientConfig config;
  private final ConcurrentHashMap<Long, Mark> dirty = new ConcurrentHashMap<>();
  private final AtomicLong seq = new AtomicLong();

  public FlushTracker(long vid, RpcClientFactory rpc, ExtentLocationCache cache, IoRouter router,
      ClientConfig config) {
    this.vid = vid;
    this.rpc = rpc;
    this.cache = cache;
    this.router = router;
    this.config = config;
  }

  /** Records that extent {@code index} (pid {@code pid}) has writes the next flush must make durable. */
  public void markDirty(int index, long pid) {
    dirty.put(pid, new Mark(index, seq.incrementAndGet()));
  }

  public int dirtyCount() {
    return dirty.size();
  }

  /** Makes every write marked before this call durable on every replica of its extent, on behalf of {@code scope}. */
  public CompletableFuture<Void> flush(IoScope scope) {
    Map<Long, Mark> snapshot = new HashMap<>(dirty);
    if (snapshot.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    Map<String, List<Long>> byOwner = new LinkedHashMap<>();
    snapshot.forEach((pid, mark) -> {
      ExtentLocation loc = cache.get(mark.index());
      String target = loc == null ? "" : loc.target();
      byOwner.computeIfAbsent(target, t -> new ArrayList<>()).add(pid);
    });
    List<CompletableFuture<Void>> groups = new ArrayList<>(byOwner.size());
    byOwner.forEach((target, pids) -> groups.add(flushAt(target, pids, snapshot, scope)
        .thenRun(() -> pids.forEach(pid -> dirty.remove(pid, snapshot.get(pid))))));
    return CompletableFuture.allOf(groups.toArray(CompletableFuture[]::new));
  }

  private CompletableFuture<Void> flushAt(String target, List<Long> pids, Map<Long, Mark> marks, IoScope scope) {
    CompletableFuture<Envelope> call;
    try {
      if (target.isEmpty()) {
        throw new BasaltException(ErrorCode.UNAVAILABLE, "no known location", true);
      }
      call = rpc.client(target).call(Envelope.newBuilder().setFlush(FlushRequest.newBuilder().addAllPids(pids)),
          config.callDeadline());
    } catch (RuntimeException e) {
      call = CompletableFuture.failedFuture(e);
    }
    return call.handle((ok, err) -> {
      if (err == null) {
        if (log.isDebugEnabled()) {
          log.debug("flushed vid={} pids={} at {}", vid, pids, target);
        }
        return CompletableFuture.<Void>completedFuture(null);
      }
      BasaltException e = BasaltException.of(err);
      if (!Retryability.isRetryable(e)) {
        return CompletableFuture.<Void>failedFuture(e);
      }
      if (log.isDebugEnabled()) {
        log.debug("flush of vid={} pids={} at {} failed ({}); flushing pid by pid", vid, pids, target,
            e.getMessage());
      }
      return CompletableFuture.allOf(pids.stream()
          .map(pid -> router.send(marks.get(pid).index(), loc -> Envelope.newBuilder()
              .setFlush(FlushRequest.newBuilder().addPids(loc.pid())), null, scope).thenAccept(Frame::release))
          .toArray(CompletableFuture[]::new));
    }).thenCompose(f -> f);
  }
}
