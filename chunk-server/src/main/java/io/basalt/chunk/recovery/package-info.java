/**
 * The recovery component, whole (DESIGN.md "Recovery"), on all three chunks it involves:
 * <ul>
 *   <li>Target (the new member): {@link RecoveryRunner} starts and cancels one {@link RecoveryTask} per recovery meta
 *       lists in keepalive answers; a task copies the extent from the owner in batches, throttled by
 *       {@link CopyThrottle}, around the dirty blocks of {@link RecoveringReplicas} (the per-term state of RECOVERING
 *       replicas: base gen, dirty bitmap), then reports RecoveryDone.</li>
 *   <li>Owner: {@link RecoveryService} serves FetchBlocks once the owner's {@link CopySource} allows it;
 *       {@link RecoveryForward} says what of each write goes to the recovering peer; {@link MemberSync} brings every
 *       member to the highest gen at a lease takeover (roll-forward catch-up from the gen logs).</li>
 *   <li>Member: {@link MemberSyncService} answers MemberSync (SyncStatus, FetchChanges, ApplyChanges) in the pid's
 *       replicate order, through {@link ReplicaAdmission}.</li>
 * </ul>
 *
 * <p>Threads: copies on {@code basalt-chunk-recovery-N} (one task per thread), runner updates on the keepalive thread,
 * owner- and member-side checks and catch-up on the pid ordered threads, block reads on the io pool.
 *
 * <p>May import: {@code chunk.core}, {@code chunk.store}. The owner and replica components sit above it and are reached
 * only through the ports {@code CopySource} and {@code ReplicaAdmission}, which they implement.
 */
package io.basalt.chunk.recovery;
