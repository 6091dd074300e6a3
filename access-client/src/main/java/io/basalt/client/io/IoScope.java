package io.basalt.client.io;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The I/O of one user of a volume (one NBD connection): cancelled when that user goes away, after which none of its
 * requests is attempted again (DESIGN.md "Write path" 5: a write attempt dies with its request). An attempt already
 * on the wire cannot be called back, so the scope counts them until they end; {@link #drained()} completes once it
 * is cancelled and none is left. A client that reconnects and rewrites the same blocks must not be served before
 * then, or an old attempt could land after its newer write and undo it.
 *
 * <p>Thread-safe; the counters are touched from RPC completions, the retry timer and the connection's loop.
 */
public final class IoScope {
  /** A scope that is never cancelled (volumes used directly by tools and tests). */
  public static IoScope detached() {
    return new IoScope("detached");
  }

  private final String name;
  private final AtomicInteger onWire = new AtomicInteger();
  private final CompletableFuture<Void> drained = new CompletableFuture<>();
  private volatile boolean cancelled;

  public IoScope(String name) {
    this.name = name;
  }

  public String name() {
    return name;
  }

  public boolean cancelled() {
    return cancelled;
  }

  /**
   * An attempt is about to go on the wire: false, counting nothing, when the scope is cancelled (then it must not be
   * sent); true otherwise, to be paired with {@link #attemptEnded()}. Counting before looking at the flag, as
   * {@link #cancel()} sets the flag before looking at the count, means one of the two sees the other.
   */
  boolean attemptStarted() {
    onWire.incrementAndGet();
    if (cancelled) {
      attemptEnded();
      return false;
    }
    return true;
  }

  /** An attempt can no longer take effect (answered, failed, or past its deadline plus slack). */
  void attemptEnded() {
    if (onWire.decrementAndGet() == 0 && cancelled) {
      drained.complete(null);
    }
  }

  /** Attempts of this scope that may still take effect. */
  public int onWire() {
    return onWire.get();
  }

  /** No request of this scope is attempted again; idempotent. */
  public void cancel() {
    cancelled = true;
    if (onWire.get() == 0) {
      drained.complete(null);
    }
  }

  /** Completes once cancelled and every attempt on the wire has ended. */
  public CompletableFuture<Void> drained() {
    return drained;
  }

  @Override
  public String toString() {
    return "IoScope{" + name + (cancelled ? ", cancelled" : "") + ", onWire=" + onWire.get() + "}";
  }
}
