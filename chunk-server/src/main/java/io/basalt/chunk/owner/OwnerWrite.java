package io.basalt.chunk.owner;

import com.codahale.metrics.Counter;
import io.basalt.chunk.core.Peer;
import io.basalt.chunk.store.ExtentEpoch;
import io.basalt.failpoint.Failpoints;
import io.basalt.proto.WriteRequest;
import io.basalt.rpc.BasaltException;
import io.netty.buffer.ByteBuf;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One client write at the owner, from its arrival until every replica acknowledged it: what the group commit needs
 * to apply it (its request, payload and reserved backlog share) and its acknowledgement set, which completes the
 * future with the write's gen once the local apply, every other replica's ack and (for FUA) the local WAL sync are
 * in, or fails with the first fatal error. The lease is checked at the last ack: a write whose replication outlived
 * the lease is never acknowledged (a new owner may exist). Thread: the pid's ordered thread.
 */
final class OwnerWrite {
  final WriteRequest request;
  /** The payload of a WRITE (owned by the RPC server until the reply), null for zeroes/trim. */
  final ByteBuf payload;
  final long bytes;
  final List<Peer> targets;
  private final CompletableFuture<Long> future = new CompletableFuture<>();
  private OwnerLease lease;
  private Failpoints failpoints;
  private Counter refusedAfterLease;
  private long sessionEpoch;
  /** The extent and epoch of its group commit (shared by the commit's writes). */
  private ExtentEpoch at;
  private long gen;
  private int remaining;

  OwnerWrite(WriteRequest request, ByteBuf payload, long bytes, List<Peer> targets) {
    this.request = request;
    this.payload = payload;
    this.bytes = bytes;
    this.targets = targets;
  }

  /** The gen the group commit gave it and the acks it now waits for (peers, plus one for a FUA's WAL sync). */
  void assign(long gen, int acks, OwnerLease lease, ExtentEpoch at, long sessionEpoch,
      Failpoints failpoints, Counter refusedAfterLease) {
    this.failpoints = failpoints;
    this.refusedAfterLease = refusedAfterLease;
    this.gen = gen;
    this.remaining = acks;
    this.lease = lease;
    this.at = at;
    this.sessionEpoch = sessionEpoch;
    if (acks == 0) finish();
  }

  long gen() {
    return gen;
  }

  void acked() {
    if (remaining > 0 && --remaining == 0) finish();
  }

  void fail(BasaltException cause) {
    future.completeExceptionally(cause);
  }

  CompletableFuture<Long> future() {
    return future;
  }

  boolean done() {
    return future.isDone();
  }

  private void finish() {
    try {
      failpoints.inject("chunk.owner.after-replicate-before-ack");
    } catch (RuntimeException e) {
      future.completeExceptionally(e);
      return;
    }
    if (!lease.valid(sessionEpoch)) {
      refusedAfterLease.inc();
      // The lease ran out while the write was replicating: a new owner may exist, so acknowledge nothing.
      future.completeExceptionally(OwnerLease.expired(at, sessionEpoch));
      return;
    }
    future.complete(gen);
  }
}
