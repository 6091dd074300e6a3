/**
 * The chunk server process: wiring only. {@link ChunkServerMain} parses the command line into a {@link ChunkConfig};
 * {@link ChunkServer} builds the components in dependency order (store, core, recovery, replica and owner, session, RPC
 * endpoints), each with what it needs at construction (no setters closing a cycle), and stops them in reverse.
 *
 * <p>Layers, each importing only those below it (checked by jdeps: no package cycle):
 * <pre>
 *   chunk (wiring)
 *   chunk.session   chunk.admin
 *   chunk.owner     chunk.replica      (siblings: neither imports the other)
 *   chunk.recovery
 *   chunk.core
 *   chunk.store
 * </pre>
 * Where a lower component must call a higher one, the lower one declares a narrow port and the wiring passes the
 * implementation: {@code owner.OwnerLease} (session), {@code recovery.CopySource} (owner),
 * {@code recovery.ReplicaAdmission} and {@code replica.OwnerFence} (replica, owner).
 *
 * <p>Threads: start and close on the caller's thread. Nothing below this package imports it.
 */
package io.basalt.chunk;
