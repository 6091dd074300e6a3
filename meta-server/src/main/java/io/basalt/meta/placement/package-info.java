/**
 * Chunks and where replicas go: {@link io.basalt.meta.placement.ChunkOps} (registration, replica reports, listing:
 * the chunks placement chooses from) and the pure {@link io.basalt.meta.placement.PlacementPolicy} over
 * {@link io.basalt.meta.placement.Candidate}s (zones, liveness, load).
 *
 * <p>Threads: {@code ChunkOps} from any thread, its work on the MetaLoop; the policy is pure (any thread).
 *
 * <p>May import: {@code meta.state}, {@code meta.store}, {@code meta.view}.
 */
package io.basalt.meta.placement;
