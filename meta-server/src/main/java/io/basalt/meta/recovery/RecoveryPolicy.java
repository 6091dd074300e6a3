package io.basalt.meta.recovery;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntPredicate;

/**
 * Which degraded extents get a recovery target in one pass, and which target (DESIGN.md "Recovery"). Pure: the
 * caller snapshots the tables. Rules:
 * <ul>
 *   <li>order: live replica count ascending (one live copy first), then pid;</li>
 *   <li>a chunk takes part, as target or as copy source, in at most {@code perChunk} running recoveries (those
 *       already running are in {@code busy}); an extent whose source is at the limit waits for a later pass;</li>
 *   <li>target: an eligible chunk (HEALTHY, live session) that is not a member and not cooling down, in a zone no
 *       member has if possible, least used (used bytes, then running recoveries, then cid).</li>
 * </ul>
 */
public final class RecoveryPolicy {
  /** A chunk as placement sees it; {@code eligible} = HEALTHY with a live session. */
  public record ChunkView(int cid, String zone, boolean eligible, long usedBytes) {}

  /** A degraded extent without a target; {@code source} is who it would copy from (owner, else replicas[0]). */
  public record Candidate(long pid, int liveReplicas, int source, List<Integer> members) {}

  public record Assignment(long pid, int target, int source) {}

  /** The pass's outcome: assignments in order, and the extents no chunk at all could take. */
  public record Result(List<Assignment> assignments, List<Long> noTarget) {}

  private RecoveryPolicy() {}

  /**
   * @param busy running recoveries per chunk (target and source counted); not modified
   * @param coolingDown chunks recently failed as a target or reported by ReplicaFailed
   */
  public static Result plan(List<Candidate> candidates, List<ChunkView> chunks, Map<Integer, Integer> busy,
      int perChunk, IntPredicate coolingDown) {
    Map<Integer, Integer> load = new HashMap<>(busy);
    Map<Integer, String> zones = new HashMap<>();
    chunks.forEach(c -> zones.put(c.cid(), c.zone()));
    List<Candidate> ordered = new ArrayList<>(candidates);
    ordered.sort(Comparator.comparingInt(Candidate::liveReplicas).thenComparingLong(Candidate::pid));
    List<Assignment> out = new ArrayList<>();
    List<Long> none = new ArrayList<>();
    for (Candidate c : ordered) {
      if (load.getOrDefault(c.source(), 0) >= perChunk) {
        continue; // the source is busy: queued until one of its recoveries ends
      }
      List<ChunkView> possible = new ArrayList<>();
      for (ChunkView v : chunks) {
        if (v.eligible() && !c.members().contains(v.cid())) {
          possible.add(v);
        }
      }
      if (possible.isEmpty()) {
        none.add(c.pid());
        continue;
      }
      Integer target = pickTarget(possible, c, load, perChunk, coolingDown, zones);
      if (target != null) {
        load.merge(target, 1, Integer::sum);
        load.merge(c.source(), 1, Integer::sum);
        out.add(new Assignment(c.pid(), target, c.source()));
      }
    }
    return new Result(List.copyOf(out), List.copyOf(none));
  }

  private static Integer pickTarget(List<ChunkView> possible, Candidate c, Map<Integer, Integer> load, int perChunk,
      IntPredicate coolingDown, Map<Integer, String> zones) {
    // A cooling-down chunk is never picked, even when it is the only one: re-adding a chunk whose data channel just
    // failed would remove it again at the next write (add/remove flapping, TESTPLAN F15); the extent waits instead.
    List<ChunkView> pool = new ArrayList<>();
    for (ChunkView v : possible) {
      if (load.getOrDefault(v.cid(), 0) < perChunk && !coolingDown.test(v.cid())) {
        pool.add(v);
      }
    }
    if (pool.isEmpty()) {
      return null;
    }
    Set<String> memberZones = new HashSet<>();
    c.members().forEach(m -> memberZones.add(zones.getOrDefault(m, "")));
    Comparator<ChunkView> order = Comparator
        .comparing((ChunkView v) -> memberZones.contains(v.zone()))
        .thenComparingLong(ChunkView::usedBytes)
        .thenComparingInt(v -> load.getOrDefault(v.cid(), 0))
        .thenComparingInt(ChunkView::cid);
    return pool.stream().min(order).map(ChunkView::cid).orElse(null);
  }
}
