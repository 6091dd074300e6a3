package io.basalt.chunk;

import io.basalt.chunk.owner.OwnerTable;
import io.basalt.chunk.store.ReplicaMeta;
import io.basalt.chunk.store.RocksReplicaStore;
import io.basalt.common.NamedThreads;
import io.basalt.common.OrderedExecutor;
import io.basalt.proto.ChunkHeartbeatRequest;
import io.basalt.proto.Envelope;
import io.basalt.proto.ReportReplicasRequest;
import io.basalt.rpc.BasaltException;
import io.basalt.session.MetaClient;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the heartbeat thread ({@code basalt-chunk-heartbeat-N}): a ChunkHeartbeat with used/capacity every
 * {@code heartbeatInterval}, and a ReportReplicas every {@code reportInterval}, deleting the replicas meta names
 * as deleted (their extents no longer exist). A deletion runs on the pid's ordered thread so it cannot interleave
 * with that pid's writes. Failures are logged (rate-limited) and never stop the loop.
 */
final class HeartbeatLoop implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HeartbeatLoop.class);
  private static final long CALL_LIMIT_MS = 15_000;

  private final MetaClient meta;
  private final RocksReplicaStore store;
  private final int cid;
  private final ChunkConfig cfg;
  private final OrderedExecutor ordered;
  private final OwnerTable owners;
  private final ScheduledExecutorService thread;
  private int heartbeatFailures; // heartbeat thread only

  HeartbeatLoop(MetaClient meta, RocksReplicaStore store, int cid, ChunkConfig cfg, OrderedExecutor ordered,
      OwnerTable owners) {
    this.meta = meta;
    this.store = store;
    this.cid = cid;
    this.cfg = cfg;
    this.ordered = ordered;
    this.owners = owners;
    this.thread = Executors.newSingleThreadScheduledExecutor(new NamedThreads("chunk-heartbeat"));
  }

  HeartbeatLoop start() {
    long hb = cfg.heartbeatInterval().toMillis();
    long report = cfg.reportInterval().toMillis();
    thread.scheduleWithFixedDelay(() -> guarded("heartbeat", this::heartbeat), hb, hb, TimeUnit.MILLISECONDS);
    thread.scheduleWithFixedDelay(() -> guarded("report replicas", this::report), report, report,
        TimeUnit.MILLISECONDS);
    return this;
  }

  private void heartbeat() {
    try {
      meta.call(Envelope.newBuilder().setChunkHeartbeat(ChunkHeartbeatRequest.newBuilder().setCid(cid)
          .setUsedBytes(store.usedBytes()).setCapacityBytes(store.capacityBytes())))
          .get(CALL_LIMIT_MS, TimeUnit.MILLISECONDS);
      if (heartbeatFailures > 0) {
        log.info("heartbeat to meta recovered cid={} afterFailures={}", cid, heartbeatFailures);
      }
      heartbeatFailures = 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // closing
    } catch (Exception e) {
      heartbeatFailures++;
      if (heartbeatFailures == 1 || heartbeatFailures % 30 == 0) {
        log.warn("heartbeat to meta failed cid={} failures={} error={}", cid, heartbeatFailures,
            BasaltException.of(e).getMessage());
      }
    }
  }

  private void report() throws Exception {
    List<Long> pids = store.replicas().stream().map(ReplicaMeta::pid).toList();
    Envelope resp = meta.call(Envelope.newBuilder().setReportReplicas(ReportReplicasRequest.newBuilder()
        .setCid(cid).addAllPids(pids))).get(CALL_LIMIT_MS, TimeUnit.MILLISECONDS);
    for (long pid : resp.getReportReplicasResponse().getDeletedPidsList()) {
      ordered.submit(pid, () -> {
        owners.stepDown(pid, "extent deleted");
        store.deleteReplica(pid);
        return null;
      }).get(CALL_LIMIT_MS, TimeUnit.MILLISECONDS);
      log.info("deleted replica of a deleted extent pid={} cid={}", pid, cid);
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
