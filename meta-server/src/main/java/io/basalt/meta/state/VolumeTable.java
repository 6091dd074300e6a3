package io.basalt.meta.state;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Volumes by vid and by unique name. Thread: MetaLoop only; changed only after ZooKeeper confirmed. */
public final class VolumeTable {
  private final TreeMap<Long, Volume> byVid = new TreeMap<>();
  private final Map<String, Volume> byName = new HashMap<>();

  /** The volume, or null. */
  public Volume get(long vid) {
    return byVid.get(vid);
  }

  /** The volume, or null. */
  public Volume byName(String name) {
    return byName.get(name);
  }

  public void put(Volume volume) {
    Volume old = byVid.put(volume.vid(), volume);
    if (old != null && !old.name().equals(volume.name())) {
      byName.remove(old.name());
    }
    byName.put(volume.name(), volume);
  }

  public void remove(long vid) {
    Volume old = byVid.remove(vid);
    if (old != null) {
      byName.remove(old.name());
    }
  }

  /** All volumes in vid order. */
  public List<Volume> all() {
    return new ArrayList<>(byVid.values());
  }

  public int size() {
    return byVid.size();
  }
}
