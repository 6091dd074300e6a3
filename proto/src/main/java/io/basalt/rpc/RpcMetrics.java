package io.basalt.rpc;

import com.codahale.metrics.Counter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import io.basalt.common.HotMetrics;
import io.basalt.proto.Envelope;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Timers per RPC method, success and failure apart: {@code basalt_rpc_<side>_<method>} and
 * {@code basalt_rpc_<side>_<method>_failed}. Created lazily; one instance per server or client factory. Counters
 * {@code basalt_rpc_<side>_refused_frames} and {@code basalt_rpc_<side>_deadline_exceeded}.
 */
public final class RpcMetrics {
  private final MetricRegistry registry;
  private final String side;
  /** By method ordinal, made on first use; a benign race makes the same registry timers twice at most. */
  private final Timer[][] timers = new Timer[Envelope.BodyCase.values().length][];
  private final Counter refusedFrames;
  private final Counter deadlineExceeded;

  public RpcMetrics(MetricRegistry registry, String side) {
    this.registry = registry;
    this.side = side;
    this.refusedFrames = registry.counter("basalt_rpc_" + side + "_refused_frames");
    this.deadlineExceeded = registry.counter("basalt_rpc_" + side + "_deadline_exceeded");
  }

  /** Lock-free on the hot path: every request of every loop records here. */
  public void record(Envelope.BodyCase method, long nanos, boolean ok) {
    Timer[] t = timers[method.ordinal()];
    if (t == null) {
      String base = "basalt_rpc_" + side + "_" + method.name().toLowerCase(Locale.ROOT);
      t = new Timer[] {HotMetrics.timer(registry, base), HotMetrics.timer(registry, base + "_failed")};
      timers[method.ordinal()] = t;
    }
    t[ok ? 0 : 1].update(nanos, TimeUnit.NANOSECONDS);
  }

  /** "server_chunk", "client_nbd": the middle of every metric name here. */
  public String side() {
    return side;
  }

  public Counter refusedFrames() {
    return refusedFrames;
  }

  /** Requests refused DEADLINE_EXCEEDED: their deadline had passed before their handler was called. */
  public Counter deadlineExceeded() {
    return deadlineExceeded;
  }

  public MetricRegistry registry() {
    return registry;
  }
}
