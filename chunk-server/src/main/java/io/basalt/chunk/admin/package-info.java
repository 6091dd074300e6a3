/**
 * Administrative RPC endpoints of a chunk: {@link AdminService} (replica status and hashes, replica listing, for the
 * CLI and the cross-replica checks) and {@link TestAdminService} (failpoints and deliberate damage for the
 * fault-injection harness, refused unless started with {@code --test-mode}).
 *
 * <p>Threads: handlers on the Netty event loops only validate and hop; the work runs on the io pool or the pid ordered
 * threads.
 *
 * <p>May import: {@code chunk.core}, {@code chunk.store}. No component imports it.
 */
package io.basalt.chunk.admin;
