package io.basalt.client.layout;

import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Runs a meta lookup so that every caller is answered by one <em>sent after it asked</em>, while concurrent callers
 * share lookups: at most one in flight and one queued. A caller arriving while a lookup is in flight waits for the
 * queued one (created by the first such caller, started when the in-flight one ends); a lookup already in flight
 * when a request arrived may have been answered before an allocation that completed before the request, so it is
 * never reused for it. A stream of misses thus costs about one meta round trip per round trip time, not one per miss.
 *
 * <p>Thread-safe. The lock guards two fields and is never held while a lookup starts or a caller is completed;
 * callers are completed on the thread that completed the lookup (a meta client thread). A failed lookup fails its
 * callers; the queued one still runs.
 */
public final class FreshLookup {
  private final Supplier<CompletableFuture<Void>> lookup;
  private boolean running;               // guarded by this
  private CompletableFuture<Void> queued; // guarded by this; non-null only while running

  /** @param lookup starts one lookup; must not block */
  public FreshLookup(Supplier<CompletableFuture<Void>> lookup) {
    this.lookup = lookup;
  }

  /** Completes when a lookup started after this call has completed (exceptionally if it failed). */
  public CompletableFuture<Void> request() {
    CompletableFuture<Void> now;
    synchronized (this) {
      if (running) {
        if (queued == null) {
          queued = new CompletableFuture<>();
        }
        return queued;
      }
      running = true;
      now = new CompletableFuture<>();
    }
    start(now);
    return now;
  }

  private void start(CompletableFuture<Void> callers) {
    CompletableFuture<Void> started;
    try {
      started = lookup.get();
    } catch (RuntimeException e) {
      started = CompletableFuture.failedFuture(e);
    }
    started.whenComplete((v, err) -> {
      CompletableFuture<Void> next;
      synchronized (this) {
        next = queued;
        queued = null;
        running = next != null;
      }
      // The next lookup goes out before these callers run on: their continuations may take a while.
      if (next != null) {
        start(next);
      }
      if (err != null) {
        callers.completeExceptionally(err);
      } else {
        callers.complete(null);
      }
    });
  }
}
