package io.basalt.common;

import com.codahale.metrics.Histogram;
import com.codahale.metrics.LockFreeExponentiallyDecayingReservoir;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;

/**
 * Timers and histograms for the data path: the default reservoir takes a lock on every update, which the event
 * loops of every I/O would contend on; the lock-free one keeps the same decaying sample (Dropwizard 4.1.17+).
 * Registered under the same names, so dashboards do not change.
 */
public final class HotMetrics {
  private HotMetrics() {}

  public static Timer timer(MetricRegistry registry, String name) {
    return registry.timer(name, () -> new Timer(LockFreeExponentiallyDecayingReservoir.builder().build()));
  }

  public static Histogram histogram(MetricRegistry registry, String name) {
    return registry.histogram(name, () -> new Histogram(LockFreeExponentiallyDecayingReservoir.builder().build()));
  }
}
