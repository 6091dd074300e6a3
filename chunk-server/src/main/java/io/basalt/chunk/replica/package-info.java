/**
 * Replica apply: what a member does with an owner's Replicate (DESIGN.md "Write path"). {@link ReplicaService}
 * validates and hops to the pid's thread, {@link ReplicaApplier} admits the call (epoch and owner checks, fencing older
 * owners, RECOVERING replicas) and applies writes strictly in gen order, {@link PidOrder} keeps a pid's owner calls in
 * arrival order while one waits for meta.
 *
 * <p>Threads: the pid ordered threads ({@code basalt-chunk-loop-N}); WAL syncs on the io pool.
 *
 * <p>May import: {@code chunk.recovery} (marks forwarded writes dirty in {@code RecoveringReplicas}, implements its
 * {@code ReplicaAdmission}), {@code chunk.core}, {@code chunk.store}. Never {@code chunk.owner}: a newer owner epoch
 * seen here reaches the local owner through {@link OwnerFence}.
 */
package io.basalt.chunk.replica;
