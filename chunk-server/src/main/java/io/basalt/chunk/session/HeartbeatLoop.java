package io.basalt.chunk.session;

import io.basalt.chunk.core.ChunkMetrics;
import io.basalt.chunk.integrity.ReplicaQuarantine;
import io.basalt.chunk.owner.OwnerTable;
import io.basalt.chunk.store.ReplicaMeta;
import io.basalt.chunk.store.RocksReplicaStore;
import io.basalt.common.NamedThreads;
import io.basalt.common.OrderedExecutor;
import io.basalt.proto.Envelope;
import io.basalt.proto.ReplicaState;
import io.basalt.proto.ReportReplicasRequest;
import io.basalt.rpc.BasaltException;
import io.basalt.session.MetaClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the report thread ({@code basalt-chunk-heartbeat-N}): a ReportReplicas every {@code reportInterval},
 * deleting the replicas meta names as deleted (their extents no longer exist) and marking STALE those meta names
 * as no longer members (kept, never served, until recovery restored redundancy elsewhere; a QUARANTINED one stays
 * QUARANTINED), and deleting the STALE and QUARANTINED ones meta names in gc_pids (their extent is fully redundant
 * again). Before each report it re-sends the quarantine reports meta has not taken yet
 * ({@link ReplicaQuarantine#reportPending}). Each change runs on the
 * pid's ordered thread so it cannot interleave with that pid's writes. Failures are logged and never stop the loop.
 * (Liveness and usage travel with the session's keepalives, on their own thread.)
 */
public final class HeartbeatLoop implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HeartbeatLoop.class);
  private static final long CALL_LIMIT_MS = 15_000;

  private final MetaClient meta;
  private final RocksReplicaStore store;
  private final int cid;
  private final Duration reportInterval;
  private final OrderedExecutor ordered;
  private final OwnerTable owners;
  private final ScheduledExecutorService thread;
  private final LongPredicate recovering;
  private final ChunkMetrics metrics;
  private final ReplicaQuarantine quarantine;
  private final Duration quarantineRetention;

  public HeartbeatLoop(MetaClient meta, RocksReplicaStore store, int cid, Duration reportInterval,
      OrderedExecutor ordered, OwnerTable owners, LongPredicate recovering, ChunkMetrics metrics,
      ReplicaQuarantine quarantine, Duration quarantineRetention) {
    this.quarantine = quarantine;
    this.quarantineRetention = quarantineRetention;
    this.recovering = recovering;
    this.metrics = metrics;
    this.meta = meta;
    this.store = store;
    this.cid = cid;
    this.reportInterval = reportInterval;
    this.ordered = ordered;
    this.owners = owners;
    this.thread = Executors.newSingleThreadScheduledExecutor(new NamedThreads("chunk-heartbeat"));
  }

  public HeartbeatLoop start() {
    long report = reportInterval.toMillis();
    // The first report at once: a returning chunk learns which of its copies are stale without waiting a period.
    thread.scheduleWithFixedDelay(() -> guarded("report replicas", this::report), 0, report, TimeUnit.MILLISECONDS);
    return this;
  }

  private void report() throws Exception {
    quarantine.reportPending();
    quarantine.evidence().expire(System.currentTimeMillis(), quarantineRetention);
    List<ReplicaMeta> held = store.replicas();
    List<Long> pids = held.stream().map(ReplicaMeta::pid).toList();
    List<Long> catchUp = held.stream().filter(ReplicaMeta::catchUpBase).map(ReplicaMeta::pid)
        .filter(pid -> store.partialRanges(pid).isEmpty()).toList();
    Envelope resp = meta.call(Envelope.newBuilder().setReportReplicas(ReportReplicasRequest.newBuilder()
        .setCid(cid).addAllPids(pids).addAllCatchupPids(catchUp))).get(CALL_LIMIT_MS, TimeUnit.MILLISECONDS);
    for (long pid : resp.getReportReplicasResponse().getDeletedPidsList()) {
      ordered.submit(pid, () -> {
        owners.stepDown(pid, "extent deleted");
        store.deleteReplica(pid);
        return null;
      }).get(CALL_LIMIT_MS, TimeUnit.MILLISECONDS);
      log.info("deleted replica of a deleted extent pid={} cid={}", pid, cid);
    }
    for (long pid : resp.getReportReplicasResponse().getStalePidsList()) {
      ordered.submit(pid, () -> {
        if (recovering.test(pid)) return null; // this chunk is the target copying it: not a member yet, not stale
        owners.stepDown(pid, "no longer a member");
        // A quarantined replica stays QUARANTINED: it is out of the membership already and never served.
        store.replica(pid).filter(m -> m.state() == ReplicaState.ACTIVE || m.state() == ReplicaState.RECOVERING)
            .ifPresent(m -> {
              store.putReplicaMeta(m.staleCopy());
              log.info("replica marked STALE (removed from membership while away) pid={} epoch={} gen={} cid={}",
                  pid, m.epoch(), m.gen(), cid);
            });
        return null;
      }).get(CALL_LIMIT_MS, TimeUnit.MILLISECONDS);
    }
    for (long pid : resp.getReportReplicasResponse().getGcPidsList()) {
      ordered.submit(pid, () -> {
        // Only a STALE or QUARANTINED copy goes (a quarantined one's evidence stays in its own directory): meta may
        // have made this chunk a member or target again since it answered.
        store.replica(pid).filter(m -> m.state() == ReplicaState.STALE || m.state() == ReplicaState.QUARANTINED)
            .ifPresent(m -> {
          store.deleteReplica(pid);
          metrics.replicasGc().inc();
          log.info("deleted {} replica, extent fully redundant again pid={} epoch={} gen={} cid={}", m.state(), pid,
              m.epoch(), m.gen(), cid);
        });
        return null;
      }).get(CALL_LIMIT_MS, TimeUnit.MILLISECONDS);
    }
  }

  private void guarded(String what, ThrowingTask task) {
    try {
      task.run();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable t) {
      log.warn("{} failed cid={} error={}", what, cid, BasaltException.of(t).getMessage());
    }
  }

  @FunctionalInterface
  private interface ThrowingTask {
    void run() throws Exception;
  }

  @Override
  public void close() {
    thread.shutdownNow();
    try {
      thread.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
