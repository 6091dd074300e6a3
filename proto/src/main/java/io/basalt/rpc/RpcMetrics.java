package io.basalt.rpc;

import com.codahale.metrics.Counter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import io.basalt.proto.Envelope;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * Timers per RPC method, success and failure apart: {@code basalt_rpc_<side>_<method>} and
 * {@code basalt_rpc_<side>_<method>_failed}. Created lazily; one instance per server or client factory.
 */
public final class RpcMetrics {
  private final MetricRegistry registry;
  private final String side;
  private final Map<Envelope.BodyCase, Timer[]> timers = new EnumMap<>(Envelope.BodyCase.class);
  private final Counter refusedFrames;

  public RpcMetrics(MetricRegistry registry, String side) {
    this.registry = registry;
    this.side = side;
    this.refusedFrames = registry.counter("basalt_rpc_" + side + "_refused_frames");
  }

  public void record(Envelope.BodyCase method, long nanos, boolean ok) {
    Timer[] t;
    synchronized (timers) {
      t = timers.computeIfAbsent(method, m -> {
        String base = "basalt_rpc_" + side + "_" + m.name().toLowerCase(Locale.ROOT);
        return new Timer[] {registry.timer(base), registry.timer(base + "_failed")};
      });
    }
    t[ok ? 0 : 1].update(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
  }

  /** "server_chunk", "client_nbd": the middle of every metric name here. */
  public String side() {
    return side;
  }

  public Counter refusedFrames() {
    return refusedFrames;
  }

  public MetricRegistry registry() {
    return registry;
  }
}
