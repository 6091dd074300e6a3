package io.basalt.meta.state;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import java.util.concurrent.TimeUnit;

/**
 * Metrics of the meta state: ZooKeeper commit latency (success and failure apart), leadership transitions,
 * fenced writes, leadership verifications (and requests refused while verifying), mutations dequeued after their
 * request's deadline, and table sizes. Injected
 * registry; gauges read volatile snapshots published by the MetaLoop.
 */
public final class MetaMetrics {
  private final Timer commitOk;
  private final Timer commitFailed;
  private final Counter transitions;
  private final Counter fenced;
  private final Counter verifications;
  private final Counter verifyFailed;
  private final Counter verifyingRefusals;
  private final Counter deadlineExceeded;
  private volatile int state;
  private volatile int chunks;
  private volatile int volumes;
  private volatile int pextents;

  public MetaMetrics(MetricRegistry registry) {
    commitOk = registry.timer("basalt_meta_zk_commit_latency");
    commitFailed = registry.timer("basalt_meta_zk_commit_failed_latency");
    transitions = registry.counter("basalt_meta_leadership_transitions_total");
    fenced = registry.counter("basalt_meta_fenced_total");
    verifications = registry.counter("basalt_meta_leadership_verifications_total");
    verifyFailed = registry.counter("basalt_meta_leadership_verifications_failed_total");
    verifyingRefusals = registry.counter("basalt_meta_verifying_refusals_total");
    deadlineExceeded = registry.counter("basalt_meta_mutations_deadline_exceeded_total");
    registry.gauge("basalt_meta_leadership_state", () -> (Gauge<Integer>) () -> state);
    registry.gauge("basalt_meta_chunks", () -> (Gauge<Integer>) () -> chunks);
    registry.gauge("basalt_meta_volumes", () -> (Gauge<Integer>) () -> volumes);
    registry.gauge("basalt_meta_pextents", () -> (Gauge<Integer>) () -> pextents);
  }

  void commit(long nanos, boolean ok) {
    (ok ? commitOk : commitFailed).update(nanos, TimeUnit.NANOSECONDS);
  }

  void transition(LeadershipState next) {
    transitions.inc();
    state = next.ordinal();
  }

  void fenced() {
    fenced.inc();
  }

  void verification() {
    verifications.inc();
  }

  void verifyFailed() {
    verifyFailed.inc();
  }

  void verifyingRefusal() {
    verifyingRefusals.inc();
  }

  void deadlineExceeded() {
    deadlineExceeded.inc();
  }

  void sizes(int chunks, int volumes, int pextents) {
    this.chunks = chunks;
    this.volumes = volumes;
    this.pextents = pextents;
  }
}
