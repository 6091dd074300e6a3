package io.basalt.chunk.store;

import java.util.List;

/**
 * A replica's light scrub digest (DESIGN.md "Consistency check"): its gen and epoch and a SHA-256 over (block index,
 * stored CRC32C) of every block record, all from one store snapshot; {@code rangeHashes} the same per range of the
 * extent (index i covers blocks [i * rangeBlocks, (i + 1) * rangeBlocks), "" when it holds none, up to the last
 * range holding a block), so replicas that differ can be told where.
 */
public record ScrubDigest(long pid, long epoch, long gen, String hash, long blockCount, List<String> rangeHashes) {
  public ScrubDigest {
    rangeHashes = List.copyOf(rangeHashes);
  }
}
