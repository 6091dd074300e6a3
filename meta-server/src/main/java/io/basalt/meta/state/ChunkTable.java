package io.basalt.meta.state;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Registered chunks by cid. Thread: MetaLoop only. Changes to durable fields are applied only after ZooKeeper
 * confirmed them; soft state (usage, last seen) is updated in place.
 */
public final class ChunkTable {
  private final TreeMap<Integer, Chunk> byCid = new TreeMap<>();

  /** The chunk, or null. */
  public Chunk get(int cid) {
    return byCid.get(cid);
  }

  public void put(Chunk chunk) {
    byCid.put(chunk.cid(), chunk);
  }

  /** All chunks in cid order. */
  public List<Chunk> all() {
    return new ArrayList<>(byCid.values());
  }

  public int size() {
    return byCid.size();
  }
}
