/**
 * Recovery on the leader (DESIGN.md "Recovery"), whole in one package: {@link io.basalt.meta.recovery.RecoveryOps}
 * (ReplicaFailed, ReplicaQuarantined, RecoveryDone, the recovery part of a chunk's keepalive, dropping a target
 * whose session ended), {@link io.basalt.meta.recovery.RecoveryAdminOps} ({@code recovery ls}, the throttle),
 * {@link io.basalt.meta.recovery.RecoveryScheduler} (the recovery pass), the pure
 * {@link io.basalt.meta.recovery.RecoveryPolicy} and {@link io.basalt.meta.recovery.RecoveryThrottles}, the
 * pure {@link io.basalt.meta.recovery.ReturnWait} (waiting for a departed member to return and catch up), the
 * per-term {@link io.basalt.meta.recovery.RecoveryTable} (progress, cooldowns, departures, catch-up holders;
 * created and dropped with the term through {@link io.basalt.meta.state.TermLocal}), page writes that keep the soft
 * owner ({@code ExtentWrites}) and {@link io.basalt.meta.recovery.RecoveryMetrics}.
 *
 * <p>Threads: operations and the pass on the MetaLoop; the pass's timer thread ({@code meta-recovery}) only posts
 * there; RPC callers on any thread get futures.
 *
 * <p>May import: {@code meta.session} (liveness, jeopardy guard, session events), {@code meta.view},
 * {@code meta.state}, {@code meta.store}. Not volume or placement: a lease grant that restarts a recovery reaches
 * it as a function ({@code RecoveryOps::droppedByNewOwner}) passed by the wiring, and so do a chunk's reported
 * catch-up copies ({@code RecoveryOps::catchUpCopiesReported} as placement's {@code CatchUpListener}).
 */
package io.basalt.meta.recovery;
