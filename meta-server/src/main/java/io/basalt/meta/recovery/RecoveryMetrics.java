package io.basalt.meta.recovery;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import java.util.concurrent.TimeUnit;

/**
 * Recovery metrics of the meta leader. Gauges read volatile snapshots the MetaLoop publishes each recovery pass:
 * degraded = extents short of their expected replica count (with or without a target), recovering = extents with a
 * target, bytes/s = the sum of the rates targets last reported. Injected registry, never static.
 *
 * <p>Returning chunks (TESTPLAN F03): {@code returning_targets} counts recoveries assigned to a chunk that reported
 * a copy it can catch up incrementally (a departed member that restarted, or any other holder of such a copy);
 * {@code return_waits} counts extents that waited for a departed member to return, once per departure.
 */
public final class RecoveryMetrics {
  public final Counter started;
  public final Counter completed;
  public final Counter dropped;
  public final Counter replicaFailedRemoved;
  public final Counter replicaFailedRefused;
  public final Counter replicaQuarantinedRemoved;
  public final Counter replicaQuarantinedRefused;
  public final Counter returningTargets;
  public final Counter returnWaits;
  private final Timer duration;
  private volatile long degraded;
  private volatile long recovering;
  private volatile long bytesPerSec;

  public RecoveryMetrics(MetricRegistry registry) {
    started = registry.counter("basalt_meta_recovery_started");
    completed = registry.counter("basalt_meta_recovery_completed");
    dropped = registry.counter("basalt_meta_recovery_dropped");
    replicaFailedRemoved = registry.counter("basalt_meta_replica_failed_removed");
    replicaFailedRefused = registry.counter("basalt_meta_replica_failed_refused");
    replicaQuarantinedRemoved = registry.counter("basalt_meta_replica_quarantined_removed");
    replicaQuarantinedRefused = registry.counter("basalt_meta_replica_quarantined_refused");
    returningTargets = registry.counter("basalt_meta_recovery_returning_targets");
    returnWaits = registry.counter("basalt_meta_recovery_return_waits");
    duration = registry.timer("basalt_meta_recovery_duration");
    registry.gauge("basalt_meta_recovery_degraded_extents", () -> (Gauge<Long>) () -> degraded);
    registry.gauge("basalt_meta_recovery_recovering_extents", () -> (Gauge<Long>) () -> recovering);
    registry.gauge("basalt_meta_recovery_bytes_per_sec", () -> (Gauge<Long>) () -> bytesPerSec);
  }

  /** A recovery assigned by this leader was promoted after {@code nanos}. */
  public void promotedAfter(long nanos) {
    duration.update(nanos, TimeUnit.NANOSECONDS);
  }

  public void publish(long degraded, long recovering, long bytesPerSec) {
    this.degraded = degraded;
    this.recovering = recovering;
    this.bytesPerSec = bytesPerSec;
  }
}
