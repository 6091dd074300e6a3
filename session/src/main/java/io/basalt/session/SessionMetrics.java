package io.basalt.session;

import com.codahale.metrics.Counter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/** Follower-side session metrics: keepalive latency (ok/failed), transitions per target state, current state. */
public final class SessionMetrics {
  private final Timer ok;
  private final Timer failed;
  private final Map<FollowerSession.State, Counter> transitions = new EnumMap<>(FollowerSession.State.class);
  private final AtomicReference<FollowerSession.State> current = new AtomicReference<>(FollowerSession.State.CONNECTING);

  public SessionMetrics(MetricRegistry registry) {
    this.ok = registry.timer("basalt_session_keepalive_ok");
    this.failed = registry.timer("basalt_session_keepalive_failed");
    for (FollowerSession.State s : FollowerSession.State.values()) {
      transitions.put(s, registry.counter("basalt_session_transitions_" + s.name().toLowerCase()));
    }
    registry.gauge("basalt_session_state", () -> () -> current.get().ordinal());
  }

  void keepAliveLatency(long nanos, boolean success) {
    (success ? ok : failed).update(nanos, TimeUnit.NANOSECONDS);
  }

  void transition(FollowerSession.State to) {
    current.set(to);
    transitions.get(to).inc();
  }
}
