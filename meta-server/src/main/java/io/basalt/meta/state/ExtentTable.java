package io.basalt.meta.state;

import io.basalt.meta.store.ZkPaths;
import io.basalt.proto.ExtentMapPage;
import io.basalt.proto.PExtentPage;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Physical extents by pid (with their soft lease owner), each volume's extent map (vid -> index -> pid), and how
 * many pextents each chunk holds (for placement and ChunkInfo). Also builds the page records a write needs, from
 * the table plus the pending change, so a batch can be committed before the table changes.
 *
 * <p>Thread: MetaLoop only. Changed only after ZooKeeper confirmed (owner changes included, since every grant
 * bumps the persisted epoch).
 */
public final class ExtentTable {
  private final TreeMap<Long, PExtent> byPid = new TreeMap<>();
  private final Map<Long, TreeMap<Integer, Long>> maps = new HashMap<>();
  private final Map<Integer, Integer> replicaCounts = new HashMap<>();
  private final Map<Integer, Integer> primaryCounts = new HashMap<>();
  /** Recovery target cid -> pids it is the RECOVERING member of (keepalive answers read this, never a scan). */
  private final Map<Integer, TreeSet<Long>> recoveringByCid = new HashMap<>();
  /** Pids with fewer full members than expected (what recovery looks at). */
  private final TreeSet<Long> shortPids = new TreeSet<>();

  /** The pextent, or null. */
  public PExtent get(long pid) {
    return byPid.get(pid);
  }

  /** The pid at {@code index} of volume {@code vid}, or 0 when unallocated. */
  public long pidAt(long vid, int index) {
    TreeMap<Integer, Long> map = maps.get(vid);
    Long pid = map == null ? null : map.get(index);
    return pid == null ? 0 : pid;
  }

  /** Read-only view of a volume's map (index -> pid), empty when nothing is allocated. */
  public NavigableMap<Integer, Long> mapOf(long vid) {
    TreeMap<Integer, Long> map = maps.get(vid);
    return map == null ? Collections.emptyNavigableMap() : Collections.unmodifiableNavigableMap(map);
  }

  public int allocatedCount(long vid) {
    TreeMap<Integer, Long> map = maps.get(vid);
    return map == null ? 0 : map.size();
  }

  /** Pextents placed on chunk {@code cid}. */
  public int replicaCount(int cid) {
    return replicaCounts.getOrDefault(cid, 0);
  }

  /** Pextents whose first replica (the one clients send to, so the usual lease owner) is chunk {@code cid}. */
  public int primaryCount(int cid) {
    return primaryCounts.getOrDefault(cid, 0);
  }

  public int size() {
    return byPid.size();
  }

  /** Pids whose RECOVERING member is {@code cid}, ascending (read-only). */
  public Set<Long> recoveringOn(int cid) {
    TreeSet<Long> pids = recoveringByCid.get(cid);
    return pids == null ? Set.of() : Collections.unmodifiableSet(pids);
  }

  /** Pids with fewer full members than expected, ascending (read-only). */
  public Set<Long> shortOfReplicas() {
    return Collections.unmodifiableSet(shortPids);
  }

  /** Pextents with a pid above {@code pid}, ascending: those allocated after it, in any volume (read-only). */
  public Collection<PExtent> allocatedAfter(long pid) {
    return Collections.unmodifiableCollection(byPid.tailMap(pid, false).values());
  }

  /** Every pextent, in pid order (read-only). */
  public Collection<PExtent> all() {
    return Collections.unmodifiableCollection(byPid.values());
  }

  /** Adds or replaces a pextent and its map entry. */
  public void put(PExtent pe) {
    PExtent old = byPid.put(pe.pid(), pe);
    if (old != null) {
      count(old.replicas(), -1);
      unindex(old);
    }
    count(pe.replicas(), +1);
    index(pe);
    maps.computeIfAbsent(pe.vid(), v -> new TreeMap<>()).put(pe.index(), pe.pid());
  }

  /** Adds a map entry read from ZooKeeper (its pextent is loaded separately). */
  public void putMapEntry(long vid, int index, long pid) {
    maps.computeIfAbsent(vid, v -> new TreeMap<>()).put(index, pid);
  }

  /** Removes a volume's map and every pextent it references; returns the removed pextents. */
  public List<PExtent> removeVolume(long vid) {
    List<PExtent> removed = new ArrayList<>();
    TreeMap<Integer, Long> map = maps.remove(vid);
    if (map != null) {
      for (long pid : map.values()) {
        PExtent pe = byPid.remove(pid);
        if (pe != null) {
          count(pe.replicas(), -1);
          unindex(pe);
          removed.add(pe);
        }
      }
    }
    return removed;
  }

  /** Pextents of a volume, in index order. */
  public List<PExtent> extentsOf(long vid) {
    List<PExtent> out = new ArrayList<>();
    for (long pid : mapOf(vid).values()) {
      PExtent pe = byPid.get(pid);
      if (pe != null) {
        out.add(pe);
      }
    }
    return out;
  }

  /** The map page {@code page} of {@code vid} with {@code pending} (index -> pid) applied. */
  public ExtentMapPage mapPage(long vid, long page, Map<Integer, Long> pending) {
    ExtentMapPage.Builder b = ExtentMapPage.newBuilder();
    int from = (int) (page * ZkPaths.PAGE);
    int to = (int) Math.min(Integer.MAX_VALUE, (page + 1) * ZkPaths.PAGE);
    b.putAllPids(mapOf(vid).subMap(from, true, to, false));
    pending.forEach((index, pid) -> {
      if (ZkPaths.pageOf(index) == page) {
        b.putPids(index, pid);
      }
    });
    return b.build();
  }

  /** The pextent page {@code page} with {@code upserts} applied and {@code removed} pids left out. */
  public PExtentPage pextentPage(long page, Map<Long, PExtent> upserts, Set<Long> removed) {
    TreeMap<Long, PExtent> merged = new TreeMap<>(byPid.subMap(page * ZkPaths.PAGE, (page + 1) * ZkPaths.PAGE));
    upserts.forEach((pid, pe) -> {
      if (ZkPaths.pageOf(pid) == page) {
        merged.put(pid, pe);
      }
    });
    merged.keySet().removeAll(removed);
    PExtentPage.Builder b = PExtentPage.newBuilder();
    merged.values().forEach(pe -> b.addPextents(pe.toRecord()));
    return b.build();
  }

  private void index(PExtent pe) {
    if (pe.recovering()) {
      recoveringByCid.computeIfAbsent(pe.recoveringCid(), c -> new TreeSet<>()).add(pe.pid());
    }
    if (pe.shortOfReplicas()) {
      shortPids.add(pe.pid());
    }
  }

  private void unindex(PExtent pe) {
    if (pe.recovering()) {
      TreeSet<Long> pids = recoveringByCid.get(pe.recoveringCid());
      if (pids != null && pids.remove(pe.pid()) && pids.isEmpty()) {
        recoveringByCid.remove(pe.recoveringCid());
      }
    }
    shortPids.remove(pe.pid());
  }

  private void count(List<Integer> cids, int delta) {
    for (int cid : cids) {
      replicaCounts.merge(cid, delta, Integer::sum);
    }
    if (!cids.isEmpty()) {
      primaryCounts.merge(cids.get(0), delta, Integer::sum);
    }
  }
}
