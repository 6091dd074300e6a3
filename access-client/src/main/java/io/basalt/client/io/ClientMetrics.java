package io.basalt.client.io;

import com.codahale.metrics.Counter;
import com.codahale.metrics.LockFreeExponentiallyDecayingReservoir;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The block client's metrics, created in an injected registry (never static): per I/O kind a timer of successes
 * ({@code basalt_client_read}) and one of failures ({@code basalt_client_read_failed}); counters of retries,
 * NOT_OWNER redirects, writes that failed in doubt, attempts abandoned for a moved lease ({@code basalt_client_hedged})
 * and I/O cancelled with its connection ({@code basalt_client_cancelled}). Shared by every volume of a provider; thread-safe.
 */
public final class ClientMetrics {
  /** The timed volume operations. */
  public enum Op { READ, WRITE, FLUSH, TRIM, WRITE_ZEROES }

  private final Map<Op, Timer> ok = new EnumMap<>(Op.class);
  private final Map<Op, Timer> failed = new EnumMap<>(Op.class);
  /** By {@link Op#ordinal()}: the hot path reads an array, no map. */
  private final Timer[] okByOp;
  private final Timer[] failedByOp;
  private final Counter retries;
  private final Counter redirects;
  private final Counter inDoubt;
  private final Counter hedged;
  private final Counter cancelled;

  public ClientMetrics(MetricRegistry registry) {
    for (Op op : Op.values()) {
      String name = "basalt_client_" + op.name().toLowerCase(Locale.ROOT);
      ok.put(op, registry.timer(name, ClientMetrics::lockFreeTimer));
      failed.put(op, registry.timer(name + "_failed", ClientMetrics::lockFreeTimer));
    }
    okByOp = ok.values().toArray(Timer[]::new);
    failedByOp = failed.values().toArray(Timer[]::new);
    retries = registry.counter("basalt_client_retries");
    redirects = registry.counter("basalt_client_redirects");
    inDoubt = registry.counter("basalt_client_in_doubt");
    hedged = registry.counter("basalt_client_hedged");
    cancelled = registry.counter("basalt_client_cancelled");
  }

  /**
   * A timer whose updates take no lock (the default reservoir takes a lock per update): metrics on the I/O path must
   * not serialize the threads that record them.
   */
  public static Timer lockFreeTimer() {
    return new Timer(LockFreeExponentiallyDecayingReservoir.builder().build());
  }

  /** Times {@code io} from now until it completes, as a success or a failure; returns it unchanged. */
  public <T> CompletableFuture<T> time(Op op, CompletableFuture<T> io) {
    long start = System.nanoTime();
    io.whenComplete((v, err) -> record(op, start, err == null));
    return io;
  }

  /** Records an I/O of kind {@code op} started at {@code startNanos} ({@link System#nanoTime()}) that just ended. */
  public void record(Op op, long startNanos, boolean succeeded) {
    (succeeded ? okByOp : failedByOp)[op.ordinal()].update(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
  }

  public void retried() {
    retries.inc();
  }

  public void redirected() {
    redirects.inc();
  }

  public void failedInDoubt() {
    inDoubt.inc();
  }

  /** An attempt given up because meta moved the extent's lease away from where it was sent (a silent owner). */
  public void hedged() {
    hedged.inc();
  }

  /** An I/O given up because its connection closed. */
  public void cancelled() {
    cancelled.inc();
  }

  public long hedges() {
    return hedged.getCount();
  }

  public long retries() {
    return retries.getCount();
  }

  public long redirects() {
    return redirects.getCount();
  }

  public long inDoubt() {
    return inDoubt.getCount();
  }
}
