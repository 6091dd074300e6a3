package io.basalt.chunk.store;

/** Who this chunk is, persisted in the store's {@code meta} column family so a restart keeps its cid. */
public record ChunkIdentity(String clusterId, int cid) {
  public ChunkIdentity {
    if (cid <= 0) throw new IllegalArgumentException("cid must be > 0: " + cid);
    if (clusterId == null || clusterId.isEmpty()) throw new IllegalArgumentException("clusterId empty");
  }
}
