/**
 * Chunks and where replicas go: {@link io.basalt.meta.placement.ChunkOps} (registration, replica reports, listing:
 * the chunks placement chooses from) and the pure {@link io.basalt.meta.placement.PlacementPolicy} over
 * {@link io.basalt.meta.placement.Candidate}s (zones, liveness, load). Replica reports also name the copies a chunk
 * can catch up incrementally; they leave through the {@link io.basalt.meta.placement.CatchUpListener} port, which
 * the wiring connects to recovery (placement does not import recovery).
 *
 * <p>Threads: {@code ChunkOps} from any thread, its work on the MetaLoop; the policy is pure (any thread).
 *
 * <p>May import: {@code meta.state}, {@code meta.store}, {@code meta.view}.
 */
package io.basalt.meta.placement;
