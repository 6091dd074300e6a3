package io.basalt.meta.recovery;

import io.basalt.meta.state.TermLocal;
import io.basalt.proto.RecoveryProgress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.LongPredicate;

/**
 * Soft recovery state of one leadership term (lost on leader change, which is fine: targets report progress again
 * with their next keepalive, and a cooldown only steers placement):
 * <ul>
 *   <li>progress per pid as the target last reported it (for {@code recovery ls} and the bytes/s gauge);</li>
 *   <li>cooldowns: a chunk that failed as a target or was reported by ReplicaFailed is not picked as a target for
 *       {@link #COOLDOWN_NANOS} unless nothing else qualifies;</li>
 *   <li>when each running recovery was assigned (the duration timer);</li>
 *   <li>pids already logged as having no target (log once per extent, not every pass);</li>
 *   <li>recoveries being dropped because their target's session ended (not offered in keepalive answers meanwhile).</li>
 * </ul>
 * One per term ({@link #perTerm()}: created when the term's tables load, dropped with them). Thread: MetaLoop only.
 */
public final class RecoveryTable {
  public static final long COOLDOWN_NANOS = 30_000_000_000L;

  /** A target's last report and when this leader received it. */
  public record Reported(int cid, RecoveryProgress progress, long atNanos) {}

  /** One recovery attempt: its pid and recovery epoch. */
  public record Attempt(long pid, long recoveryEpoch) {}

  private final Map<Long, Reported> progress = new HashMap<>();
  private final Map<Integer, Long> cooldownUntil = new HashMap<>();
  private final Map<Long, Long> assignedAt = new HashMap<>();
  private final Set<Long> noTargetLogged = new HashSet<>();
  private final Set<Attempt> dropping = new HashSet<>();

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
}
