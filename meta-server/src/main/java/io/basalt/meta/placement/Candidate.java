package io.basalt.meta.placement;

import io.basalt.proto.ChunkStatus;

/**
 * What placement knows about one chunk.
 *
 * @param lastSeenNanos monotonic time of the last registration/heartbeat this leader saw, or
 *     {@link io.basalt.meta.state.Chunk#NEVER}
 * @param pextentCount pextents already placed on the chunk
 */
public record Candidate(int cid, String zone, ChunkStatus status, long lastSeenNanos, long pextentCount,
    long usedBytes) {
  public Candidate {
    zone = zone == null ? "" : zone;
  }
}
