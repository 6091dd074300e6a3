package io.basalt.chunk.integrity;

import io.basalt.chunk.core.ChunkMetrics;
import io.basalt.chunk.core.LocalChunk;
import io.basalt.chunk.store.ReplicaMeta;
import io.basalt.chunk.store.ReplicaStore;
import io.basalt.chunk.store.ReplicaTransitions;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.QuarantineReport;
import io.basalt.proto.ReplicaState;
import io.basalt.rpc.BasaltException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes one replica of this chunk out of service when its state is in doubt (DESIGN.md "Fault isolation"): an
 * unexpected exception in its apply path (seed: one region's panic took a whole store down). Only that replica is
 * touched; the chunk's other extents go on. In order:
 * <ol>
 *   <li>its evidence is saved ({@link QuarantineEvidence}: a report, a store checkpoint, the block files), and a
 *       failure to save it is logged, never a reason to keep serving the replica;</li>
 *   <li>its state becomes QUARANTINED: the replica and member-sync paths refuse it (IO_ERROR) and the owner path
 *       never takes its lease again ({@link #check});</li>
 *   <li>meta is told (ReplicaQuarantined): it removes this chunk from the membership (epoch + 1, the lease with it)
 *       and recovery rebuilds redundancy from the good copies. A report meta refused (the floor, jeopardy) or did not
 *       answer is re-sent before every replica report ({@link #reportPending}), also after a restart.</li>
 * </ol>
 * The replica itself is then deleted like any replica that left the membership (gc, or a new recovery into this
 * chunk); its evidence stays until an operator removes it or the retention passes.
 *
 * <p>Threads: {@link #quarantine} and {@link #check} on the pid's ordered thread; {@link #reportPending} on the
 * heartbeat thread; the meta answers on the meta client's loop.
 */
public final class ReplicaQuarantine {
  private static final Logger log = LoggerFactory.getLogger(ReplicaQuarantine.class);
  /** Most block indexes a report keeps. */
  static final int MAX_BLOCKS = 1024;

  /** Sends ReplicaQuarantined for this chunk under its current session; completes with meta's answer. */
  public interface Reporter {
    CompletableFuture<ExtentInfo> report(long pid, long epoch, String reason);
  }

  private record Pending(long epoch, String reason) {}

  private final ReplicaStore store;
  private final QuarantineEvidence evidence;
  private final Reporter reporter;
  private final LocalChunk local;
  private final ChunkMetrics metrics;
  private final LongSupplier wallClockMs;
  /** Reports meta has not taken yet, by pid. */
  private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
  private final Set<Long> inFlight = ConcurrentHashMap.newKeySet();

  public ReplicaQuarantine(ReplicaStore store, QuarantineEvidence evidence, Reporter reporter, LocalChunk local,
      ChunkMetrics metrics, LongSupplier wallClockMs) {
    this.store = store;
    this.evidence = evidence;
    this.reporter = reporter;
    this.local = local;
    this.metrics = metrics;
    this.wallClockMs = wallClockMs;
    for (ReplicaMeta m : store.replicas()) {
      // Quarantined before a restart: meta may not have taken the report; it answers a non-member cheaply.
      if (m.state() == ReplicaState.QUARANTINED) pending.put(m.pid(), new Pending(m.epoch(), "quarantined earlier"));
    }
  }

  public QuarantineEvidence evidence() {
    return evidence;
  }

  /**
   * Quarantines pid's replica here after {@code cause} in {@code what} (e.g. "owner apply"), touching
   * {@code blocks}; returns the error to fail the request with (IO_ERROR, not retryable here: the replica is out).
   * A replica already quarantined, or absent, is left as it is. Pid thread.
   */
  public BasaltException quarantine(long pid, String what, Throwable cause, Collection<Long> blocks) {
    ReplicaMeta m = store.replica(pid).orElse(null);
    int cid = local.cid();
    String reason = cause == null ? what : what + ": " + cause;
    if (m != null && ReplicaTransitions.allowed(m.state(), ReplicaState.QUARANTINED)) {
      QuarantineReport.Builder r = QuarantineReport.newBuilder().setPid(pid).setCid(cid).setReason(reason)
          .setEpoch(m.epoch()).setGen(m.gen()).setQuarantinedAtMs(wallClockMs.getAsLong());
      blocks.stream().distinct().sorted().limit(MAX_BLOCKS).forEach(r::addBlocks);
      String where;
      try {
        where = evidence.save(r.build()).getEvidence();
      } catch (RuntimeException e) {
        where = "not saved: " + e.getMessage();
        log.error("quarantine evidence not saved pid={} epoch={} gen={} cid={}", pid, m.epoch(), m.gen(), cid, e);
      }
      store.putReplicaMeta(m.withState(ReplicaState.QUARANTINED));
      metrics.replicasQuarantined().inc();
      log.error("replica QUARANTINED pid={} epoch={} gen={} cid={} state={} reason={} evidence={}", pid, m.epoch(),
          m.gen(), cid, m.state(), reason, where, cause);
      pending.put(pid, new Pending(m.epoch(), reason));
      send(pid);
    }
    return quarantined(pid, cid);
  }

  /**
   * The store failed (a WAL or data sync, a RocksDB background error): every replica on it is in doubt. None can be
   * marked (the store takes no more writes), so each is reported to meta as quarantined, and {@link #check} refuses
   * them all from now on. Any thread; the reports go out asynchronously.
   */
  public void storeFailed(String reason) {
    int n = 0;
    for (ReplicaMeta m : store.replicas()) {
      if (m.state() == ReplicaState.STALE) continue; // not a member: nothing to tell
      pending.putIfAbsent(m.pid(), new Pending(m.epoch(), "replica store failed: " + reason));
      n++;
    }
    log.error("replica store failed: {} replicas reported to meta for replacement cid={} reason={}", n, local.cid(),
        reason);
    reportPending();
  }

  /**
   * Pid's replica here cannot take writes (its disk is full, TESTPLAN F16) but its data is intact: it is not
   * quarantined (kept in service for reads while it is a member, no evidence), only reported to meta the same way
   * (ReplicaQuarantined, re-sent until meta took it) so meta removes this chunk from the membership and recovery
   * places the replica elsewhere. Any thread.
   */
  public void reportForReplacement(long pid, long epoch, String reason) {
    if (pending.putIfAbsent(pid, new Pending(epoch, reason)) == null) {
      log.warn("replica reported to meta for replacement pid={} epoch={} cid={} reason={}", pid, epoch, local.cid(),
          reason);
    }
    send(pid);
  }

  /** Whether pid's replica here was reported for replacement and meta has not taken it out yet. */
  public boolean leaving(long pid) {
    return pending.containsKey(pid);
  }

  /**
   * Quarantines pid's replica on another component's word (meta after a scrub): true when it was in service and is
   * quarantined now, false when there is none here or it is quarantined already. Pid thread.
   */
  public boolean quarantineOnRequest(long pid, String reason, Collection<Long> blocks) {
    ReplicaMeta m = store.replica(pid).orElse(null);
    if (m == null || !ReplicaTransitions.allowed(m.state(), ReplicaState.QUARANTINED)) return false;
    quarantine(pid, reason, null, blocks);
    return true;
  }

  /** Refuses {@code op} on pid's replica when it is quarantined here or the store failed (IO_ERROR). Pid thread. */
  public void check(long pid, String op) {
    check(pid, op, store.replica(pid).orElse(null));
  }

  /** As {@link #check(long, String)} with the replica's meta the caller already read ({@code m}, null if absent). */
  public void check(long pid, String op, ReplicaMeta m) {
    Optional<String> failed = store.failure();
    if (failed.isPresent()) {
      throw new BasaltException(ErrorCode.IO_ERROR, op + " refused: the replica store of cid=" + local.cid()
          + " failed (" + failed.get() + ") pid=" + pid);
    }
    if (m != null && m.state() == ReplicaState.QUARANTINED) {
      throw new BasaltException(ErrorCode.IO_ERROR, op + " refused: " + quarantined(pid, local.cid()).getMessage());
    }
  }

  /** Re-sends the reports meta has not taken. Heartbeat thread. */
  public void reportPending() {
    for (long pid : pending.keySet()) send(pid);
  }

  /** Pids whose report meta has not taken yet (tests, status). */
  public Set<Long> pendingReports() {
    return Set.copyOf(pending.keySet());
  }

  private void send(long pid) {
    Pending p = pending.get(pid);
    if (p == null || !inFlight.add(pid)) return;
    CompletableFuture<ExtentInfo> answer;
    try {
      answer = reporter.report(pid, p.epoch, p.reason);
    } catch (RuntimeException e) {
      inFlight.remove(pid);
      log.warn("quarantine report not sent pid={} cid={} error={}", pid, local.cid(), e.toString());
      return;
    }
    answer.whenComplete((info, err) -> {
      inFlight.remove(pid);
      if (err != null) {
        log.warn("quarantine report not taken yet pid={} cid={} error={}", pid, local.cid(),
            BasaltException.of(err).getMessage());
        return;
      }
      boolean member = info.getReplicasList().contains(local.cid()) || info.getRecoveringCid() == local.cid();
      if (!member) {
        pending.remove(pid, p);
        log.warn("quarantine report taken: cid={} out of pid={} epoch={} replicas={}", local.cid(), pid,
            info.getEpoch(), info.getReplicasList());
      }
    });
  }

  /** The 4 KiB blocks {@code writes} touch, at most {@link #MAX_BLOCKS} (a report's evidence). */
  public static List<Long> blocksOf(List<ReplicaStore.Mutation> writes) {
    List<Long> out = new ArrayList<>();
    for (ReplicaStore.Mutation w : writes) {
      long first = w.offset() / ReplicaStore.BLOCK_SIZE;
      long last = (w.offset() + Math.max(w.length(), 1) - 1) / ReplicaStore.BLOCK_SIZE;
      for (long b = first; b <= last && out.size() < MAX_BLOCKS; b++) out.add(b);
    }
    return out;
  }

  private static BasaltException quarantined(long pid, int cid) {
    return new BasaltException(ErrorCode.IO_ERROR, "replica of pid=" + pid + " is quarantined on cid=" + cid, false);
  }
}
