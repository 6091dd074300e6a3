package io.basalt.meta.placement;

import io.basalt.proto.ChunkStatus;

/**
 * What placement knows about one chunk.
 *
 * @param lastSeenNanos monotonic time of the last registration/heartbeat this leader saw, or
 *     {@link io.basalt.meta.state.Chunk#NEVER}
 * @param pextentCount pextents already placed on the chunk
 * @param full the chunk reported a full disk (TESTPLAN F16): not eligible
 */
public record Candidate(int cid, String zone, ChunkStatus status, long lastSeenNanos, long pextentCount,
    long usedBytes, boolean full) {
  public Candidate {
    zone = zone == null ? "" : zone;
  }

  /** A chunk with room. */
  public Candidate(int cid, String zone, ChunkStatus status, long lastSeenNanos, long pextentCount, long usedBytes) {
    this(cid, zone, status, lastSeenNanos, pextentCount, usedBytes, false);
  }
}
