package io.basalt.chunk.core;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import io.basalt.chunk.store.DiskSpace;
import io.basalt.common.HotMetrics;

/**
 * Metrics of one chunk server, created from the injected registry (never static, so several chunk servers can
 * share a JVM). Success and failure are timed separately. Thread-safe (Dropwizard).
 */
public final class ChunkMetrics {
  private final Timer write;
  private final Timer writeFailed;
  private final Timer read;
  private final Timer readFailed;
  private final Timer replicateLatency;
  private final Timer apply;
  private final Counter replicateRetries;
  private final Counter staleEpochRejections;
  private final Counter generationGaps;
  private final Counter divergedDuplicates;
  private final Counter staleWriteAttempts;
  private final Counter lateWriteAttempts;
  private final Counter readsHeldForWrites;
  private final Counter acksRefusedAfterLease;
  private final Histogram replicateBatch;
  private final Timer memberSync;
  private final Counter memberSyncFailures;
  private final Counter memberSyncPulledBytes;
  private final Counter memberSyncPushedBytes;
  private final Meter recoveryBytes;
  private final Counter recoveryCompleted;
  private final Counter recoveryCatchUps;
  private final Counter recoveryFailed;
  private final Counter replicaFailedReported;
  private final Counter replicasGc;
  private final Counter replicasQuarantined;
  private final Counter readRepairs;
  private final Counter readRepairsFailed;
  private final Counter metaConfirmations;
  private final Histogram commitBatch;
  private final MetricRegistry registry;

  public ChunkMetrics(MetricRegistry registry) {
    write = HotMetrics.timer(registry, "basalt_chunk_write");
    writeFailed = HotMetrics.timer(registry, "basalt_chunk_write_failed");
    read = HotMetrics.timer(registry, "basalt_chunk_read");
    readFailed = HotMetrics.timer(registry, "basalt_chunk_read_failed");
    replicateLatency = HotMetrics.timer(registry, "basalt_chunk_replicate_latency");
    apply = HotMetrics.timer(registry, "basalt_chunk_apply");
    replicateRetries = registry.counter("basalt_chunk_replicate_retries");
    staleEpochRejections = registry.counter("basalt_chunk_stale_epoch_rejections");
    generationGaps = registry.counter("basalt_chunk_generation_gaps");
    divergedDuplicates = registry.counter("basalt_chunk_diverged_duplicates");
    staleWriteAttempts = registry.counter("basalt_chunk_write_stale_attempts");
    lateWriteAttempts = registry.counter("basalt_chunk_write_late_attempts");
    readsHeldForWrites = registry.counter("basalt_chunk_read_held_for_writes");
    acksRefusedAfterLease = registry.counter("basalt_chunk_acks_refused_after_lease");
    replicateBatch = HotMetrics.histogram(registry, "basalt_chunk_replicate_batch_entries");
    memberSync = registry.timer("basalt_chunk_member_sync");
    memberSyncFailures = registry.counter("basalt_chunk_member_sync_failures");
    memberSyncPulledBytes = registry.counter("basalt_chunk_member_sync_pulled_bytes");
    memberSyncPushedBytes = registry.counter("basalt_chunk_member_sync_pushed_bytes");
    recoveryBytes = registry.meter("basalt_chunk_recovery_bytes");
    recoveryCompleted = registry.counter("basalt_chunk_recovery_completed");
    recoveryCatchUps = registry.counter("basalt_chunk_recovery_catch_ups");
    recoveryFailed = registry.counter("basalt_chunk_recovery_failed");
    replicaFailedReported = registry.counter("basalt_chunk_replica_failed_reported");
    replicasGc = registry.counter("basalt_chunk_replicas_gc");
    replicasQuarantined = registry.counter("basalt_chunk_replicas_quarantined");
    readRepairs = registry.counter("basalt_chunk_read_repaired_blocks");
    readRepairsFailed = registry.counter("basalt_chunk_read_repairs_failed");
    metaConfirmations = registry.counter("basalt_chunk_replica_meta_confirmations");
    commitBatch = HotMetrics.histogram(registry, "basalt_chunk_commit_batch");
    this.registry = registry;
  }

  /** Owner calls at an epoch this replica had not adopted, confirmed with meta (asynchronously) before admitting. */
  public Counter metaConfirmations() {
    return metaConfirmations;
  }

  /** Client writes per local RocksDB commit on the owner (group commit). */
  public Histogram commitBatch() {
    return commitBatch;
  }

  /**
   * Registers the full-disk gauges (TESTPLAN F16): {@code basalt_chunk_disk_full} (1 while new data is refused),
   * {@code basalt_chunk_no_space_errors} (writes that hit ENOSPC since start, only grows) and
   * {@code basalt_chunk_disk_usable_bytes}.
   */
  public void diskSpace(DiskSpace disk) {
    registry.gauge("basalt_chunk_disk_full", () -> () -> disk.full() ? 1 : 0);
    registry.gauge("basalt_chunk_no_space_errors", () -> disk::noSpaceErrors);
    registry.gauge("basalt_chunk_disk_usable_bytes", () -> disk::usableBytes);
  }

  /** Registers the running-recoveries gauge (once, by the component that runs them). */
  public void recoveryActive(Gauge<Integer> gauge) {
    registry.gauge("basalt_chunk_recovery_active", () -> gauge);
  }

  /** Block bytes copied into this chunk by recoveries it is the target of. */
  public Meter recoveryBytes() {
    return recoveryBytes;
  }

  /** Recoveries this chunk was the target of that meta promoted. */
  public Counter recoveryCompleted() {
    return recoveryCompleted;
  }

  /** Recoveries completed as an incremental catch-up of a kept copy (a subset of {@link #recoveryCompleted}). */
  public Counter recoveryCatchUps() {
    return recoveryCatchUps;
  }

  /** Recoveries this chunk was the target of that ended without promotion (cancelled, dropped, refused). */
  public Counter recoveryFailed() {
    return recoveryFailed;
  }

  /** ReplicaFailed reports this chunk sent to meta as an owner. */
  public Counter replicaFailedReported() {
    return replicaFailedReported;
  }

  /** Corrupt blocks the owner rewrote from a member's good copy after a read hit them. */
  public Counter readRepairs() {
    return readRepairs;
  }

  /** Reads of corrupt blocks that no member could serve either. */
  public Counter readRepairsFailed() {
    return readRepairsFailed;
  }

  /** Replicas this chunk quarantined (an unexpected error left their state in doubt). */
  public Counter replicasQuarantined() {
    return replicasQuarantined;
  }

  /** STALE (or QUARANTINED) replicas deleted because meta named them in gc_pids. */
  public Counter replicasGc() {
    return replicasGc;
  }

  /** Client write at the owner, arrival to acknowledgement (every replica applied). */
  public Timer write(boolean ok) {
    return ok ? write : writeFailed;
  }

  public Timer read(boolean ok) {
    return ok ? read : readFailed;
  }

  /** Owner side, per replica: Replicate sent to ack received. */
  public Timer replicateLatency() {
    return replicateLatency;
  }

  /** Local store apply (owner and replica side). */
  /** Replicates per batched frame (frames of one are not counted). */
  public Histogram replicateBatch() {
    return replicateBatch;
  }

  public Timer apply() {
    return apply;
  }

  public Counter replicateRetries() {
    return replicateRetries;
  }

  public Counter staleEpochRejections() {
    return staleEpochRejections;
  }

  /** Writes that completed replication after this owner's lease ran out, and were therefore not acknowledged. */
  public Counter acksRefusedAfterLease() {
    return acksRefusedAfterLease;
  }

  public Counter generationGaps() {
    return generationGaps;
  }

  /** Client writes refused because they were sent at an older extent epoch than the owner's. */
  public Counter staleWriteAttempts() {
    return staleWriteAttempts;
  }

  /** Client writes refused because they reached the owner after their deadline. */
  public Counter lateWriteAttempts() {
    return lateWriteAttempts;
  }

  /** Owner reads that overlapped a write not yet acknowledged and waited for it. */
  public Counter readsHeldForWrites() {
    return readsHeldForWrites;
  }

  /** Duplicate replicates refused because this replica holds that gen from another (older) history. */
  public Counter divergedDuplicates() {
    return divergedDuplicates;
  }

  /** Lease takeover catch-ups that succeeded (count and duration); failures are counted apart. */
  public Timer memberSync() {
    return memberSync;
  }

  public Counter memberSyncFailures() {
    return memberSyncFailures;
  }

  /** Block bytes a new owner fetched from a member ahead of it. */
  public Counter memberSyncPulledBytes() {
    return memberSyncPulledBytes;
  }

  /** Block bytes a new owner sent to members behind it. */
  public Counter memberSyncPushedBytes() {
    return memberSyncPushedBytes;
  }
}
