/**
 * The shared core of a chunk server, below every component: who this chunk is ({@link LocalChunk}), its metrics
 * ({@link ChunkMetrics}), its extent questions to meta ({@link MetaExtents}), the client-load signal recovery yields to
 * ({@link ClientActivity}), a peer as the owner knows it ({@link Peer}), and what every RPC endpoint shares: request
 * validation at the edge ({@link RequestChecks}) and pid-affine, fault-isolated task hops ({@link PidTasks}).
 *
 * <p>Threads: none of its own; everything here is thread-safe or immutable and called from the event loops, the pid
 * ordered threads ({@code basalt-chunk-loop-N}) and the io pool. Owns no per-extent state.
 *
 * <p>May import: {@code chunk.store}, and the proto, session and common modules. Never a component package.
 */
package io.basalt.chunk.core;
