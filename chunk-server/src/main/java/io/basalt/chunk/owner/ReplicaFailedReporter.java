package io.basalt.chunk.owner;

import io.basalt.chunk.core.ChunkMetrics;
import io.basalt.chunk.core.MetaExtents;
import io.basalt.common.MonotonicClock;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.ReplicaFailedRequest;
import io.basalt.rpc.BasaltException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports a failing peer to meta (ReplicaFailed, DESIGN.md "Write path" 4) so the writes waiting for it can be
 * acknowledged by the remaining members once meta removed it. The call runs off the pid thread (an async meta call)
 * and its answer hops back to the pid thread; the pipe keeps retrying meanwhile. One report in flight per pipe, and a
 * pipe that keeps failing is re-reported at most once per replica write timeout (meta may refuse while the cluster
 * is in jeopardy or the extent is short of members).
 *
 * <p>Thread: {@link #maybeReport} on the pid's ordered thread (the pipe's report fields belong to it).
 */
final class ReplicaFailedReporter {
  private static final Logger log = LoggerFactory.getLogger(ReplicaFailedReporter.class);

  /** Where meta's answer goes, on the pid thread. */
  interface Answers {
    void replicaFailedAnswered(long pid, ReplicaPipe pipe, ExtentInfo info, BasaltException error);
  }

  private final MetaExtents meta;
  private final ReplicaPipes shared;
  private final ChunkMetrics metrics;
  private final long spacingNanos;
  private final Answers answers;
  private final MonotonicClock clock;

  ReplicaFailedReporter(MetaExtents meta, ReplicaPipes shared, ChunkMetrics metrics, Duration spacing,
      Answers answers, MonotonicClock clock) {
    this.clock = clock;
    this.meta = meta;
    this.shared = shared;
    this.metrics = metrics;
    this.spacingNanos = spacing.toNanos();
    this.answers = answers;
  }

  void maybeReport(OwnedExtent x, ReplicaPipe pipe, BasaltException cause) {
    long now = clock.nanoTime();
    if (pipe.reportInFlight || pipe.closed() || (pipe.reported && now - pipe.lastReportNanos < spacingNanos)) return;
    pipe.reportInFlight = true;
    pipe.reported = true;
    pipe.lastReportNanos = now;
    int failed = pipe.peer().cid();
    String reason = cause == null ? "replicate failed" : cause.getMessage();
    metrics.replicaFailedReported().inc();
    log.warn("reporting replica failed pid={} epoch={} cid={} failedCid={} recovering={} reason={}", x.pid, x.epoch,
        x.self, failed, pipe == x.recovering, reason);
    ReplicaFailedRequest req = ReplicaFailedRequest.newBuilder().setPid(x.pid).setEpoch(x.epoch)
        .setOwnerCid(x.self).setOwnerSession(x.sessionEpoch).setFailedCid(failed)
        .setReason(reason == null ? "" : reason).build();
    long pid = x.pid;
    try {
      meta.replicaFailed(req).whenComplete((info, err) -> shared.hop(pid, () -> {
        pipe.reportInFlight = false;
        answers.replicaFailedAnswered(pid, pipe, info, err == null ? null : BasaltException.of(err));
      }));
    } catch (RuntimeException e) {
      pipe.reportInFlight = false;
      log.warn("replica failed report not sent pid={} failedCid={} error={}", pid, failed, e.toString());
    }
  }
}
