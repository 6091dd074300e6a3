package io.basalt.chunk.store;

import java.util.ArrayList;
import java.util.List;

/**
 * One page of a member catch-up: the part of a sorted, merged, block-aligned range list that starts at
 * {@code startOffset} and holds at most {@code maxBytes} of data, and where the next page starts (0 = this was the
 * last page). Ranges longer than the budget are split at a block boundary; a page always holds at least one block
 * when any remain, so paging always ends.
 */
public record ChangePage(List<ByteRange> ranges, long nextOffset) {
  public ChangePage {
    ranges = List.copyOf(ranges);
  }

  public boolean last() {
    return nextOffset == 0;
  }

  public long bytes() {
    return ByteRange.totalLength(ranges);
  }

  /** The page of {@code ranges} (sorted, merged, block-aligned) from {@code startOffset} (block-aligned). */
  public static ChangePage of(List<ByteRange> ranges, long startOffset, long maxBytes) {
    long block = ReplicaStore.BLOCK_SIZE;
    long budget = Math.max(block, maxBytes / block * block);
    List<ByteRange> out = new ArrayList<>();
    for (ByteRange r : ranges) {
      if (r.end() <= startOffset) continue;
      long from = Math.max(r.offset(), startOffset);
      if (budget == 0) return new ChangePage(out, from);
      long take = Math.min(r.end() - from, budget);
      out.add(new ByteRange(from, take));
      budget -= take;
      if (from + take < r.end()) return new ChangePage(out, from + take);
    }
    return new ChangePage(out, 0);
  }
}
