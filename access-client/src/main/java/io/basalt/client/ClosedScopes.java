package io.basalt.client;

import io.basalt.client.io.IoScope;
import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One volume's closed connections whose attempts may still land (DESIGN.md "Write path" 5): a client that
 * reconnects after its connection dropped re-sends its in-flight writes and may write the same blocks again, so an
 * old attempt landing after that would undo an acknowledged write. The volume is therefore served to nobody new
 * while one may still land. Thread-safe.
 */
final class ClosedScopes {
  private static final Logger log = LoggerFactory.getLogger(ClosedScopes.class);

  private final String volume;
  private final Set<IoScope> draining = ConcurrentHashMap.newKeySet();

  /** @param volume names the volume in logs and errors ("vid=.. volume=..") */
  ClosedScopes(String volume) {
    this.volume = volume;
  }

  /** Cancels {@code scope} (its connection closed) and tracks it until its attempts on the wire have ended. */
  void closed(IoScope scope) {
    scope.cancel();
    if (!scope.drained().isDone()) {
      draining.add(scope);
      log.info("connection closed with I/O in flight {} user={} attemptsOnWire={}", volume, scope.name(),
          scope.onWire());
      scope.drained().whenComplete((v, err) -> draining.remove(scope));
    }
  }

  /**
   * Waits until every closed scope's attempts have ended (blocking: call it off the event loops), at most
   * {@code timeout}; UNAVAILABLE (retryable) if they have not.
   */
  void awaitDrained(Duration timeout) {
    List<IoScope> pending = List.copyOf(draining);
    if (pending.isEmpty()) {
      return;
    }
    long start = System.nanoTime();
    log.info("waiting for closed connections' I/O to end {} connections={} attemptsOnWire={}", volume,
        pending.size(), onWire(pending));
    try {
      CompletableFuture.allOf(pending.stream().map(IoScope::drained).toArray(CompletableFuture[]::new))
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      log.info("closed connections' I/O ended {} waitedMs={}", volume,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BasaltException(ErrorCode.UNAVAILABLE, "interrupted while waiting for old I/O of " + volume, true);
    } catch (ExecutionException | TimeoutException e) {
      throw new BasaltException(ErrorCode.UNAVAILABLE, volume + " still has I/O of closed connections in flight after "
          + timeout.toMillis() + " ms (" + onWire(pending) + " attempts); try again", true);
    }
  }

  /** Closed connections whose attempts may still land. */
  int draining() {
    return draining.size();
  }

  private static int onWire(List<IoScope> scopes) {
    return scopes.stream().mapToInt(IoScope::onWire).sum();
  }
}
