package io.basalt.meta.scrub;

import io.basalt.meta.state.TermLocal;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Soft scrub state of one leadership term (lost on leader change, which is fine: when each extent was last scrubbed
 * is durable, so periodic scrubs resume where they were; an operator's {@code scrub start} and retries are not):
 * <ul>
 *   <li>running scrubs (pid -> deep) and how many each chunk takes part in;</li>
 *   <li>extents an operator asked for ({@code scrub start}: pid -> deep), due now;</li>
 *   <li>extents that could not be compared, with when to try again and the last reason;</li>
 *   <li>per-chunk pacing: a chunk that read B bytes in a deep scrub takes no new one for B / rate seconds.</li>
 * </ul>
 * One per term ({@link #perTerm}). Thread: MetaLoop only.
 */
public final class ScrubTable {
  /** When a retry is due and whether it was deep. */
  public record Retry(long atMs, boolean deep, String why) {}

  private final long termStartMs;
  private final Map<Long, Boolean> running = new HashMap<>();
  private final Map<Integer, Integer> busy = new HashMap<>();
  private final Map<Long, Boolean> forced = new HashMap<>();
  private final Map<Long, Retry> retries = new HashMap<>();
  private final Map<Integer, Long> chunkFreeAtNanos = new HashMap<>();
  private final Set<Long> suspectLogged = new HashSet<>();
  private long suspectCount = -1;

  public ScrubTable(long termStartMs) {
    this.termStartMs = termStartMs;
  }

  /** A fresh table each term; {@code wallMs} dates the term's start (the base of never-scrubbed extents). */
  public static TermLocal<ScrubTable> perTerm(LongSupplier wallMs) {
    return new TermLocal<>((tables, epoch, now) -> new ScrubTable(wallMs.getAsLong()));
  }

  public long termStartMs() {
    return termStartMs;
  }

  public boolean running(long pid) {
    return running.containsKey(pid);
  }

  /** Null when not running, else whether the running scrub is deep. */
  public Boolean runningDeep(long pid) {
    return running.get(pid);
  }

  public int runningCount() {
    return running.size();
  }

  public int busy(int cid) {
    return busy.getOrDefault(cid, 0);
  }

  public boolean paced(int cid, long nowNanos) {
    Long free = chunkFreeAtNanos.get(cid);
    return free != null && free - nowNanos > 0;
  }

  public void started(long pid, boolean deep, List<Integer> cids) {
    running.put(pid, deep);
    for (int cid : cids) {
      busy.merge(cid, 1, Integer::sum);
    }
  }

  /**
   * A scrub of {@code pid} ended; each chunk's read bytes delay its next scrub by bytes / {@code bytesPerSec}.
   */
  public void ended(long pid, List<Integer> cids, Map<Integer, Long> bytesRead, long bytesPerSec, long nowNanos) {
    running.remove(pid);
    for (int cid : cids) {
      busy.computeIfPresent(cid, (c, n) -> n <= 1 ? null : n - 1);
    }
    if (bytesPerSec <= 0) {
      return;
    }
    bytesRead.forEach((cid, bytes) -> {
      if (bytes > 0) {
        long delay = (long) (bytes * 1e9 / bytesPerSec);
        long from = chunkFreeAtNanos.getOrDefault(cid, nowNanos);
        chunkFreeAtNanos.put(cid, (from - nowNanos > 0 ? from : nowNanos) + delay);
      }
    });
  }

  /** An operator asked for a scrub of {@code pid} now; deep wins over light. */
  public void force(long pid, boolean deep) {
    forced.merge(pid, deep, Boolean::logicalOr);
  }

  /** Null when not asked for, else whether a deep scrub was. */
  public Boolean forced(long pid) {
    return forced.get(pid);
  }

  /** A scrub finished: the operator's request is met (a light scrub does not meet a deep request). */
  public void done(long pid, boolean deep) {
    Boolean f = forced.get(pid);
    if (f != null && (deep || !f)) {
      forced.remove(pid);
    }
    retries.remove(pid);
  }

  public void retryLater(long pid, long atMs, boolean deep, String why) {
    Retry before = retries.get(pid);
    retries.put(pid, new Retry(atMs, deep || (before != null && before.deep()), why));
  }

  public Retry retry(long pid) {
    return retries.get(pid);
  }

  /** True the first time {@code pid} is found SUSPECT in this term (the loud log line, once). */
  public boolean firstSuspect(long pid) {
    return suspectLogged.add(pid);
  }

  public void notSuspect(long pid) {
    suspectLogged.remove(pid);
  }

  /** Forgets extents that no longer exist. */
  public void forget(long pid) {
    forced.remove(pid);
    retries.remove(pid);
    suspectLogged.remove(pid);
  }

  public Set<Long> forcedPids() {
    return forced.keySet();
  }

  public Set<Long> retryPids() {
    return retries.keySet();
  }

  /** Extents marked SUSPECT, -1 until counted once this term. */
  public long suspectCount() {
    return suspectCount;
  }

  public void setSuspectCount(long n) {
    suspectCount = n;
  }
}
