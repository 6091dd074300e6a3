/**
 * The lease owner (DESIGN.md "Write path", "Sessions and leases"): {@link OwnerTable} holds every extent this chunk
 * owns ({@link OwnedExtent}: epoch, members, pipes; the owner's per-term state) and takes leases over;
 * {@link ExtentOwner} runs a write (lease check, next gen, group commit, fan-out through {@link ReplicaPipes}, ack once
 * every member acked: {@link OwnerWrite}); {@link OwnerReads} and {@link FlushOp} serve reads and flushes;
 * {@link DataService} is the client-facing RPC endpoint (Write, Read, Flush). It is also recovery's {@code CopySource}
 * ({@link OwnerCopySource}), because only the owner's state can say whether a copy may start.
 *
 * <p>Threads: each extent's work on its pid ordered thread ({@code basalt-chunk-loop-N}, the Netty loops); lease
 * takeovers on {@code basalt-chunk-takeover-N}; replicate retries on {@code basalt-chunk-retry-N}; WAL syncs on the io
 * pool.
 *
 * <p>May import: {@code chunk.recovery} (RecoveryForward, MemberSync, the CopySource port), {@code chunk.core},
 * {@code chunk.store}. Never {@code chunk.replica} or {@code chunk.session}: the session is seen only as
 * {@link OwnerLease}.
 */
package io.basalt.chunk.owner;
