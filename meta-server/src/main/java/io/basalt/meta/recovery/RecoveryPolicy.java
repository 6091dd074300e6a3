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
 * caller snapshots the tables (and judges departures with {@link ReturnWait}). Rules:
 * <ul>
 *   <li>order: live replica count ascending (one live copy first), then pid;</li>
 *   <li>an extent {@code waiting} for a departed member to return (see {@link ReturnWait}) gets no target this pass
 *       and is not counted as having none;</li>
 *   <li>a chunk takes part, as target or as copy source, in at most {@code perChunk} running recoveries (those
 *       already running are in {@code busy}); an extent whose source is at the limit waits for a later pass;</li>
 *   <li>a {@code preferred} chunk (a departed member that restarted and reported a copy it can catch up) is the
 *       target if it is eligible, not a member and below the limit, even while it cools down (the cooldown is for a
 *       flapping data channel; a restarted chunk is a new process); if it cannot take it this pass the extent waits
 *       for it, unless fewer than 2 live replicas are left (then the usual pick, at once);</li>
 *   <li>otherwise the target is an eligible chunk (HEALTHY, live session) that is not a member and not cooling down,
 *       in a zone no member has if possible, then one that reported a copy it can catch up ({@code catchUpHolders}:
 *       only the blocks changed since are copied), then least used (used bytes, then running recoveries, then cid).
 *       Zone spread comes before the cheap catch-up: durability over copy cost.</li>
 * </ul>
 */
public final class RecoveryPolicy {
  /** A chunk as placement sees it; {@code eligible} = HEALTHY with a live session. */
  public record ChunkView(int cid, String zone, boolean eligible, long usedBytes) {}

  /**
   * A degraded extent without a target; {@code source} is who it would copy from (owner, else replicas[0]).
   *
   * @param preferred the departed member to make the target ({@link ReturnWait.Kind#PREFER}), 0: none
   * @param waiting the extent waits for a departed member this pass ({@link ReturnWait.Kind#WAIT})
   * @param catchUpHolders chunks that last reported a copy of it they can catch up incrementally
   */
  public record Candidate(long pid, int liveReplicas, int source, List<Integer> members, int preferred,
      boolean waiting, Set<Integer> catchUpHolders) {
    public Candidate {
      members = List.copyOf(members);
      catchUpHolders = Set.copyOf(catchUpHolders);
    }

    /** No departure and no holder: the plain pick. */
    public Candidate(long pid, int liveReplicas, int source, List<Integer> members) {
      this(pid, liveReplicas, source, members, 0, false, Set.of());
    }
  }

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
      if (c.waiting()) {
        continue; // a departed member may be back soon with a copy it catches up cheaply: not "no target"
      }
      if (load.getOrDefault(c.source(), 0) >= perChunk) {
        continue; // the source is busy: queued until one of its recoveries ends
      }
      List<ChunkView> possible = new ArrayList<>();
      for (ChunkView v : chunks) {
        if (v.eligible() && !c.members().contains(v.cid())) {
          possible.add(v);
        }
      }
      Integer target = null;
      if (c.preferred() != 0) {
        boolean ready = possible.stream().anyMatch(v -> v.cid() == c.preferred())
            && load.getOrDefault(c.preferred(), 0) < perChunk;
        if (ready) {
          target = c.preferred(); // its cooldown does not apply: it restarted, it is not the flapping channel
        } else if (c.liveReplicas() >= 2) {
          continue; // back but not ready (eligibility, load): it waits for it, within the return wait
        }
      }
      if (target == null) {
        if (possible.isEmpty()) {
          none.add(c.pid());
          continue;
        }
        target = pickTarget(possible, c, load, perChunk, coolingDown, zones);
      }
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
    // A cooling-down chunk is never picked here, even when it is the only one: re-adding a chunk whose data channel
    // just failed would remove it again at the next write (add/remove flapping, TESTPLAN F15); the extent waits
    // instead. (A preferred returning chunk is taken before this, in plan: it restarted, it is no flapping channel.)
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
        .thenComparing(v -> !c.catchUpHolders().contains(v.cid()))
        .thenComparingLong(ChunkView::usedBytes)
        .thenComparingInt(v -> load.getOrDefault(v.cid(), 0))
        .thenComparingInt(ChunkView::cid);
    return pool.stream().min(order).map(ChunkView::cid).orElse(null);
  }
}
