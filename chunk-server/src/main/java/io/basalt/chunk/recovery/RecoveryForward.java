package io.basalt.chunk.recovery;

import io.basalt.chunk.store.ReplicaStore;
import io.basalt.proto.ReplicateRequest;
import io.basalt.proto.WriteKind;
import io.basalt.proto.WriteRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;

/**
 * What the owner forwards to a RECOVERING peer. The target marks every block a forwarded write touches dirty and
 * never overwrites it with copied data afterwards, so a forwarded write must leave whole blocks right on its own: a
 * partial-block write applied to a block the copy has not reached yet would read-modify-write garbage (zeros) that
 * the copy then skips. So an unaligned write goes to the recovering peer as a block-aligned WRITE of the owner's
 * blocks right after its local apply (same gen); aligned ones go as they are. Stateless; pid thread.
 */
public final class RecoveryForward {
  private static final int B = ReplicaStore.BLOCK_SIZE;

  /** What goes to the recovering peer for one write: the request and its data (owned by the caller), or null data. */
  public record Forward(ReplicateRequest request, ByteBuf data) {}

  private RecoveryForward() {}

  public static boolean aligned(long offset, long length) {
    return length == 0 || (offset % B == 0 && length % B == 0);
  }

  /** An unaligned zero/trim that also covers whole blocks: split so no edge image is larger than a block. */
  public static boolean mustSplit(WriteRequest req) {
    if (req.getKind() == WriteKind.WRITE || aligned(req.getOffset(), req.getLength())) return false;
    long end = req.getOffset() + req.getLength();
    long innerFrom = ceil(req.getOffset());
    long innerTo = floor(end);
    return innerTo > innerFrom && (innerFrom != req.getOffset() || innerTo != end);
  }

  /** Head edge, whole blocks, tail edge (the empty ones left out), in offset order. */
  public static List<WriteRequest> split(WriteRequest req) {
    long from = req.getOffset();
    long end = from + req.getLength();
    long innerFrom = ceil(from);
    long innerTo = floor(end);
    List<WriteRequest> out = new ArrayList<>(3);
    if (from < innerFrom) out.add(part(req, from, innerFrom));
    out.add(part(req, innerFrom, innerTo));
    if (innerTo < end) out.add(part(req, innerTo, end));
    return out;
  }

  /**
   * The write for the recovering peer: {@code r} with a retained slice of {@code payload} when aligned, else a WRITE
   * of the aligned blocks read from this owner's store (its content right after gen r.gen).
   */
  public static Forward forward(ReplicaStore store, ReplicateRequest r, ByteBuf payload) {
    if (aligned(r.getOffset(), r.getLength())) {
      return new Forward(r, payload == null ? null : payload.retainedSlice());
    }
    long from = floor(r.getOffset());
    long to = ceil(r.getOffset() + r.getLength());
    ByteBuf image = store.read(r.getPid(), from, (int) (to - from), PooledByteBufAllocator.DEFAULT);
    ReplicateRequest whole = r.toBuilder().setOffset(from).setLength((int) (to - from)).setKind(WriteKind.WRITE)
        .build();
    return new Forward(whole, image);
  }

  private static WriteRequest part(WriteRequest req, long from, long to) {
    return req.toBuilder().setOffset(from).setLength((int) (to - from)).build();
  }

  private static long floor(long offset) {
    return offset - offset % B;
  }

  private static long ceil(long offset) {
    return floor(offset + B - 1);
  }
}
