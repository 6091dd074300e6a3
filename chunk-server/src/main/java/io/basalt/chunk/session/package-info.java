/**
 * This chunk's relation with meta over time (DESIGN.md "Sessions and leases"): registration at start
 * ({@link ChunkRegistration}), the session state and the lease the owner path checks ({@link SessionLease}, built
 * before the owner table), the keepalive listener that reports held leases and recovery progress and applies meta's
 * answers to the owner table and recovery runner ({@link ChunkSession}, built after them), and the periodic replica
 * report ({@link HeartbeatLoop}).
 *
 * <p>Threads: registration on the starting thread; keepalives on {@code basalt-session-keepalive-N}; reports on
 * {@code basalt-chunk-heartbeat-N}, which hop to the pid ordered threads for per-extent changes.
 *
 * <p>May import: {@code chunk.owner}, {@code chunk.recovery}, {@code chunk.core}, {@code chunk.store}. Nothing but the
 * wiring imports it.
 */
package io.basalt.chunk.session;
