package io.basalt.chunk.recovery;

import io.basalt.chunk.store.ByteRange;
import io.basalt.chunk.store.PresentBlocks;
import io.basalt.chunk.store.ReplicaMeta;
import io.basalt.chunk.store.ReplicaStore;
import io.basalt.proto.FetchBlocksRequest;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The owner's side of an incremental catch-up (DESIGN.md "Recovery"; FetchBlocks with {@code since_gen}): which
 * blocks a returning copy needs, and one page of them. The copy needs the owner's current content of every block
 * the owner's gens after {@code since_gen} changed, plus the blocks the copy changed itself after it (its
 * {@code include}: an old owner's unreplicated tail). Usable only when the owner's gen log reaches back to
 * {@code since_gen + 1} and the owner wrote {@code since_gen} at the same epoch as the copy did: equal (gen, epoch)
 * means the same write by the same owner, so the two histories agree up to there.
 *
 * <p>Stateless; any thread (the store reads its own snapshot; a gen applied meanwhile is forwarded to the target
 * anyway, since the copy is served only while the owner forwards).
 */
final class CatchUpPages {
  private static final int B = ReplicaStore.BLOCK_SIZE;

  /** The blocks to send (block-aligned, merged, sorted), or why none can be: a full copy is needed. */
  record Changed(List<ByteRange> ranges, String refusal) {
    static Changed refused(String why) {
      return new Changed(List.of(), why);
    }
  }

  /** One page: the ranges it covers (in order) and where the next one starts; {@code done} when none is left. */
  record Page(List<ByteRange> ranges, long nextOffset, boolean done) {}

  private final ReplicaStore store;

  CatchUpPages(ReplicaStore store) {
    this.store = store;
  }

  /** What the copy of {@code req} needs from this replica (the owner's), or the refusal. */
  Changed changed(long pid, FetchBlocksRequest req) {
    long since = req.getSinceGen();
    ReplicaMeta own = store.replica(pid).orElse(null);
    if (own == null) return Changed.refused("no local replica");
    if (since > own.gen()) {
      return Changed.refused("since_gen=" + since + " is ahead of the owner's gen=" + own.gen());
    }
    long epoch = store.genEpoch(pid, since);
    if (epoch == 0 || epoch != req.getSinceGenEpoch()) {
      return Changed.refused("gen=" + since + " was written at epoch=" + req.getSinceGenEpoch() + " there, at epoch="
          + epoch + " here (0: unknown): another history");
    }
    Optional<List<ByteRange>> changed = store.changedSince(pid, since);
    if (changed.isEmpty()) return Changed.refused("the gen log does not reach back to gen=" + (since + 1));
    List<ByteRange> all = new ArrayList<>(changed.get());
    all.addAll(ByteRange.fromProto("fetch blocks include", pid, req.getIncludeList(), ByteRange.MAX_UNPAGED));
    return new Changed(ByteRange.alignAndMerge(all), null);
  }

  /**
   * The page of {@code changed} from {@code offset} on: up to {@code budget} bytes of changed blocks (a range cut at
   * the budget continues on the next page), within an extent of {@code size} bytes.
   */
  static Page page(List<ByteRange> changed, long offset, long budget, long size) {
    long limit = (size + B - 1) / B * B; // a ragged extent end: its last block whole
    List<ByteRange> out = new ArrayList<>();
    long taken = 0;
    long end = offset;
    for (ByteRange c : changed) {
      long from = Math.max(c.offset(), offset);
      long to = Math.min(c.end(), limit);
      if (from >= to) continue;
      if (taken >= budget) {
        return new Page(out, end, false); // more changes after this page
      }
      long len = Math.min(to - from, budget - taken);
      out.add(new ByteRange(from, len));
      taken += len;
      end = from + len;
      if (len < to - from) return new Page(out, end, false);
    }
    return new Page(out, size, true);
  }

  /** The present blocks of {@code page}'s ranges, their data in one buffer from {@code alloc} (caller releases). */
  PresentBlocks read(long pid, Page page, ByteBufAllocator alloc) {
    List<Long> blocks = new ArrayList<>();
    CompositeByteBuf data = alloc.compositeBuffer(Math.max(2, page.ranges().size()));
    try {
      for (ByteRange r : page.ranges()) {
        PresentBlocks pb = store.readPresentBlocks(pid, r.offset(), (int) r.length(), alloc);
        for (long b : pb.blocks()) blocks.add(b);
        data.addComponent(true, pb.data());
      }
      long[] out = new long[blocks.size()];
      for (int i = 0; i < out.length; i++) out[i] = blocks.get(i);
      return new PresentBlocks(out, data);
    } catch (RuntimeException e) {
      data.release();
      throw e;
    }
  }
}
