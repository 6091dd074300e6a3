package io.basalt.chunk.owner;

import io.basalt.proto.ReplicateRequest;
import io.basalt.rpc.BasaltException;
import io.netty.buffer.ByteBuf;

/**
 * One write queued for one peer until that peer acks it. Owns {@code data} (a retained slice of the client's
 * payload, null for WRITE_ZEROES/TRIM) and its share of the peer backlog; both are given back exactly once, on
 * ack or on failure. Thread: the pid's ordered thread.
 */
final class PendingReplicate {
  private ReplicateRequest request;
  private final ByteBuf data;
  private final long bytes;
  private final int peerCid;
  private final OwnerWrite write;
  private final PeerBacklog backlog;
  private boolean done;

  PendingReplicate(ReplicateRequest request, ByteBuf data, long bytes, int peerCid, OwnerWrite write,
      PeerBacklog backlog) {
    this.request = request;
    this.data = data;
    this.bytes = bytes;
    this.peerCid = peerCid;
    this.write = write;
    this.backlog = backlog;
  }

  long gen() {
    return request.getGen();
  }

  ReplicateRequest request() {
    return request;
  }

  /** Re-labels a queued write with the owner's newer epoch (rare: only when the membership changed). */
  void setEpoch(long epoch) {
    if (request.getEpoch() != epoch) request = request.toBuilder().setEpoch(epoch).build();
  }

  /** A new reference to the payload for one send (ownership passes to the RPC client), or null. */
  ByteBuf dataForSend() {
    return data == null ? null : data.retainedSlice();
  }

  void acked() {
    if (finish()) write.acked();
  }

  void fail(BasaltException cause) {
    if (finish()) write.fail(cause);
  }

  private boolean finish() {
    if (done) return false;
    done = true;
    if (data != null) data.release();
    backlog.release(peerCid, bytes);
    return true;
  }
}
