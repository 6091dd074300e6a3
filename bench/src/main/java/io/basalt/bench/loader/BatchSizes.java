package io.basalt.bench.loader;

import com.codahale.metrics.Histogram;
import com.codahale.metrics.Snapshot;
import io.basalt.chunk.ChunkServer;
import java.util.List;

/**
 * Reads the chunk servers' batch histograms by name (not through ChunkMetrics' accessors, so a histogram another
 * change adds or renames only shows as "n/a" here instead of breaking the build). Histograms are cumulative since
 * start and the loader cannot reset them, so a figure covers the warm-up too.
 */
final class BatchSizes {
  /** Writes per local RocksDB commit on the owner (group commit). */
  static final String COMMIT = "basalt_chunk_commit_batch";
  /** Entries per ReplicateBatch sent to a replica. */
  static final String REPLICATE = "basalt_chunk_replicate_batch_entries";

  private BatchSizes() {}

  /** One line per chunk that recorded anything: {@code cid N: mean M, p99 P (n=C)}; or "n/a". */
  static String describe(List<ChunkServer> chunks, String name) {
    StringBuilder out = new StringBuilder();
    long total = 0;
    double weighted = 0;
    for (ChunkServer c : chunks) {
      Histogram h = c.registry().getHistograms().get(name);
      if (h == null || h.getCount() == 0) {
        continue;
      }
      Snapshot s = h.getSnapshot();
      total += h.getCount();
      weighted += s.getMean() * h.getCount();
      out.append(String.format("%n    cid %d: mean %.2f, p99 %.0f (n=%d)", c.cid(), s.getMean(),
          s.get99thPercentile(), h.getCount()));
    }
    if (total == 0) {
      return "n/a";
    }
    return String.format("mean %.2f over all chunks%s", weighted / total, out);
  }
}
