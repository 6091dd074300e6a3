package io.basalt.meta.recovery;

import io.basalt.meta.state.TermLocal;
import io.basalt.proto.RecoveryProgress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongPredicate;
import java.util.function.Predicate;

/**
 * Soft recovery state of one leadership term (lost on leader change, which is fine: targets report progress again
 * with their next keepalive, and a cooldown only steers placement):
 * <ul>
 *   <li>progress per pid as the target last reported it (for {@code recovery ls} and the bytes/s gauge);</li>
 *   <li>cooldowns: a chunk that failed as a target or was reported by ReplicaFailed is not picked as a target for
 *       {@link #COOLDOWN_NANOS} (the extent rather waits), unless it restarted since and returns with a copy it can
 *       catch up ({@link ReturnWait});</li>
 *   <li>when each running recovery was assigned (the duration timer);</li>
 *   <li>pids already logged as having no target (log once per extent, not every pass);</li>
 *   <li>recoveries being dropped because their target's session ended (not offered in keepalive answers
 *       meanwhile);</li>
 *   <li>catch-up holders: per chunk, the pids its last ReportReplicas named as copies it can catch up incrementally
 *       (of extents that do not count it as member or target), and when that report arrived;</li>
 *   <li>departures: members ReplicaFailed removed, with their session at that moment, so the recovery pass can give
 *       a restarting chunk a short chance to return and catch up its own copy (TESTPLAN F03) instead of copying the
 *       whole extent to another chunk.</li>
 * </ul>
 * One per term ({@link #perTerm()}: created when the term's tables load, dropped with them). Thread: MetaLoop only.
 */
public final class RecoveryTable {
  public static final long COOLDOWN_NANOS = 30_000_000_000L;

  /** A target's last report and when this leader received it. */
  public record Reported(int cid, RecoveryProgress progress, long atNanos) {}

  /** One recovery attempt: its pid and recovery epoch. */
  public record Attempt(long pid, long recoveryEpoch) {}

  /**
   * Member {@code cid} of {@code pid} removed by ReplicaFailed at {@code atNanos}, while it held live session
   * {@code sessionEpoch} (0: none).
   */
  public record Departure(long pid, int cid, long sessionEpoch, long atNanos) {}

  /** The catch-up copies one chunk last reported, and when this leader received that report. */
  public record Holdings(Set<Long> pids, long atNanos) {
    public Holdings {
      pids = Set.copyOf(pids);
    }
  }

  private final Map<Long, Reported> progress = new HashMap<>();
  private final Map<Integer, Long> cooldownUntil = new HashMap<>();
  private final Map<Long, Long> assignedAt = new HashMap<>();
  private final Set<Long> noTargetLogged = new HashSet<>();
  private final Set<Attempt> dropping = new HashSet<>();
  private final Map<Long, List<Departure>> departures = new HashMap<>();
  private final Set<Departure> waitCounted = new HashSet<>();
  private final Map<Integer, Holdings> holders = new HashMap<>();

  /** The recovery component's per-term state: a fresh, empty table each term. */
  public static TermLocal<RecoveryTable> perTerm() {
    return new TermLocal<>((tables, epoch, now) -> new RecoveryTable());
  }

  public void report(int cid, RecoveryProgress p, long now) {
    progress.put(p.getPid(), new Reported(cid, p, now));
  }

  /** The target's last report for {@code pid} at {@code recoveryEpoch}, or null. */
  public Reported progress(long pid, long recoveryEpoch) {
    Reported r = progress.get(pid);
    return r != null && r.progress().getRecoveryEpoch() == recoveryEpoch ? r : null;
  }

  public Map<Long, Reported> allProgress() {
    return progress;
  }

  public void cooldown(int cid, long now) {
    cooldownUntil.put(cid, now + COOLDOWN_NANOS);
  }

  public boolean coolingDown(int cid, long now) {
    Long until = cooldownUntil.get(cid);
    return until != null && now < until;
  }

  public void assigned(long pid, long now) {
    assignedAt.put(pid, now);
    noTargetLogged.remove(pid);
    progress.remove(pid);
  }

  /** Nanos when this leader assigned the running recovery of {@code pid}, or null (assigned by an earlier one). */
  public Long assignedAt(long pid) {
    return assignedAt.get(pid);
  }

  /** The recovery of {@code pid} ended (promoted or dropped). */
  public void ended(long pid) {
    assignedAt.remove(pid);
    progress.remove(pid);
  }

  /** True the first time {@code pid} is found without a target since it last had one. */
  public boolean firstNoTarget(long pid) {
    return noTargetLogged.add(pid);
  }

  public boolean noTargetLogged(long pid) {
    return noTargetLogged.contains(pid);
  }

  public void dropping(Attempt a) {
    dropping.add(a);
  }

  public void dropDone(Attempt a) {
    dropping.remove(a);
  }

  public boolean isDropping(long pid, long recoveryEpoch) {
    return !dropping.isEmpty() && dropping.contains(new Attempt(pid, recoveryEpoch));
  }

  /** Forgets pids that no longer exist or recover (volume deleted, promotion applied elsewhere). */
  public void retain(LongPredicate stillRecovering) {
    progress.keySet().removeIf(pid -> !stillRecovering.test(pid));
    assignedAt.keySet().removeIf(pid -> !stillRecovering.test(pid));
  }

  /** Records a departure; an earlier one of the same chunk from the same extent is replaced. */
  public void departed(Departure d) {
    List<Departure> list = departures.computeIfAbsent(d.pid(), pid -> new ArrayList<>());
    list.removeIf(old -> old.cid() == d.cid());
    list.add(d);
  }

  /** The recorded departures from {@code pid}, oldest first (empty: none). */
  public List<Departure> departures(long pid) {
    return departures.getOrDefault(pid, List.of());
  }

  /** Forgets the departures from {@code pid} (it got a target, or is whole again). */
  public void clearDepartures(long pid) {
    List<Departure> gone = departures.remove(pid);
    if (gone != null) {
      waitCounted.removeAll(gone);
    }
  }

  /** Keeps only the departures {@code keep} accepts (the wait expired, the extent is gone or whole again). */
  public void retainDepartures(Predicate<Departure> keep) {
    departures.values().forEach(list -> list.removeIf(d -> !keep.test(d)));
    departures.values().removeIf(List::isEmpty);
    waitCounted.removeIf(d -> !keep.test(d));
  }

  /** True the first time an extent waits for departure {@code d} (log and count once, not every pass). */
  public boolean firstWait(Departure d) {
    return waitCounted.add(d);
  }

  /** Chunk {@code cid} reported at {@code now} that it can catch up {@code pids}: replaces its earlier report. */
  public void holds(int cid, Set<Long> pids, long now) {
    holders.put(cid, new Holdings(pids, now));
  }

  /** What chunk {@code cid} last reported, or null (no report this term). */
  public Holdings holdings(int cid) {
    return holders.get(cid);
  }

  /** The chunks whose last report named {@code pid} as a catch-up copy. */
  public Set<Integer> holdersOf(long pid) {
    Set<Integer> out = new HashSet<>();
    holders.forEach((cid, h) -> {
      if (h.pids().contains(pid)) {
        out.add(cid);
      }
    });
    return out;
  }
}
