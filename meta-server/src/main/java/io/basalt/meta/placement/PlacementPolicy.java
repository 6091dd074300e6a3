package io.basalt.meta.placement;

import io.basalt.meta.state.Chunk;
import io.basalt.proto.ChunkStatus;
import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntUnaryOperator;

/**
 * Chooses the replicas of a new extent. Pure: no I/O, no clock of its own (the caller passes now).
 *
 * <p>Eligible: HEALTHY chunks heard from (registration or heartbeat) within the liveness window and not full (their
 * last heartbeat said the disk is full, TESTPLAN F16); a chunk this leader has not heard from since it was elected
 * is not eligible. Order: the preferred chunk first when eligible,
 * then least used (pextent count, then used bytes, then cid). Zones: distinct zones first while any remain, then
 * the least used of the rest.
 */
public final class PlacementPolicy {
  private static final Comparator<Candidate> LEAST_USED = Comparator.comparingLong(Candidate::pextentCount)
      .thenComparingLong(Candidate::usedBytes)
      .thenComparingInt(Candidate::cid);

  private final long livenessNanos;

  public PlacementPolicy(Duration livenessWindow) {
    if (livenessWindow.isNegative() || livenessWindow.isZero()) {
      throw new IllegalArgumentException("liveness window must be > 0, got " + livenessWindow);
    }
    this.livenessNanos = livenessWindow.toNanos();
  }

  public Duration livenessWindow() {
    return Duration.ofNanos(livenessNanos);
  }

  /** True when the chunk may receive new replicas at {@code nowNanos}. */
  public boolean isLive(Candidate c, long nowNanos) {
    return c.status() == ChunkStatus.HEALTHY && c.lastSeenNanos() != Chunk.NEVER
        && nowNanos - c.lastSeenNanos() <= livenessNanos && !c.full();
  }

  /**
   * Picks {@code replicas} distinct cids.
   *
   * @param preferredCid placed first when eligible; 0 = no preference
   * @throws BasaltException NO_SPACE when fewer than {@code replicas} chunks are eligible
   */
  public List<Integer> choose(List<Candidate> chunks, int replicas, int preferredCid, long nowNanos) {
    if (replicas <= 0) {
      throw new IllegalArgumentException("replicas must be > 0, got " + replicas);
    }
    List<Candidate> live = new ArrayList<>();
    for (Candidate c : chunks) {
      if (isLive(c, nowNanos)) {
        live.add(c);
      }
    }
    if (live.size() < replicas) {
      throw new BasaltException(ErrorCode.NO_SPACE,
          "need " + replicas + " live chunks, have " + live.size() + " (chunks with a full disk do not count)");
    }
    live.sort(LEAST_USED);
    List<Candidate> picked = new ArrayList<>(replicas);
    Set<String> zones = new HashSet<>();
    for (Candidate c : live) {
      if (c.cid() == preferredCid && preferredCid != 0) {
        picked.add(c);
        zones.add(c.zone());
        break;
      }
    }
    for (Candidate c : live) {
      if (picked.size() == replicas) {
        break;
      }
      if (!picked.contains(c) && zones.add(c.zone())) {
        picked.add(c);
      }
    }
    for (Candidate c : live) {
      if (picked.size() == replicas) {
        break;
      }
      if (!picked.contains(c)) {
        picked.add(c);
      }
    }
    List<Integer> cids = new ArrayList<>(replicas);
    picked.forEach(c -> cids.add(c.cid()));
    return List.copyOf(cids);
  }

  /**
   * Puts first the chosen chunk that is first replica of the fewest extents (unless the client's preferred chunk
   * is among them): clients send to the first replica, which becomes lease owner, so this spreads owner load.
   */
  public static List<Integer> balancePrimary(List<Integer> chosen, IntUnaryOperator primaryCount,
      int preferredCid) {
    if (chosen.isEmpty() || (preferredCid != 0 && chosen.get(0) == preferredCid)) {
      return chosen;
    }
    int best = 0;
    for (int i = 1; i < chosen.size(); i++) {
      if (primaryCount.applyAsInt(chosen.get(i)) < primaryCount.applyAsInt(chosen.get(best))) {
        best = i;
      }
    }
    List<Integer> out = new ArrayList<>(chosen);
    out.add(0, out.remove(best));
    return List.copyOf(out);
  }
}
