package io.basalt.it.check;

import io.basalt.it.check.BlockModel.Violation;
import io.basalt.it.check.BlockRegister.Broken;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The history of one block of the contended range (TESTPLAN 3.1 c, 3.3), where several writers overlap, so no
 * order of its writes is known in advance and the block is checked by search ({@link WglChecker}) instead of by
 * {@link BlockRegister}'s single-writer rules. It records every write (invoke and completion times from the model's
 * one clock; acked, or in doubt: an error or timeout may or may not have taken effect, so it never completes) and
 * every read that returned zeros or a stamp of this run (failed reads say nothing and are not recorded).
 *
 * <p>Memory is bounded: past {@code maxOps} ops nothing more is recorded and the block is reported as too large to
 * check, a failure of the configuration rather than a pass; {@link #room()} lets the stresser stay below it.
 * Recording is allocation-light (parallel primitive arrays). Thread-safe: every method locks the history; the
 * checks, meant for after the run, search under that lock.
 */
final class RegisterHistory {
  /** Ops one block may record: a search over more is not attempted (TESTPLAN 3.3: tiny histories). */
  static final int MAX_OPS = 2000;

  private static final byte WRITE = 0;
  private static final byte READ = 1;
  private static final byte PENDING = 0;
  private static final byte ACKED = 1;
  private static final byte IN_DOUBT = 2;
  private static final long NEVER = Long.MAX_VALUE;
  private static final int LISTED = 6;

  private final long lba;
  private final int maxOps;
  private final long stepBudget;
  // per op, guarded by this; reads keep the value they returned in writer/seq (0/0: zeros)
  private long[] opIds = new long[16];
  private long[] invoke = new long[16];
  private long[] complete = new long[16];
  private long[] seqs = new long[16];
  private int[] writers = new int[16];
  private byte[] kinds = new byte[16];
  private byte[] states = new byte[16];
  private int size;
  private long dropped;
  // what the last check found, valid while size is unchanged
  private int checkedSize = -1;
  private Verdict verdict;
  private final Map<Long, Broken> finalVerdicts = new HashMap<>();

  /** The history's own check: its violation, or null when linearizable. */
  private record Verdict(Violation violation) {}

  RegisterHistory(long lba) {
    this(lba, MAX_OPS, WglChecker.DEFAULT_STEP_BUDGET);
  }

  RegisterHistory(long lba, int maxOps, long stepBudget) {
    this.lba = lba;
    this.maxOps = maxOps;
    this.stepBudget = stepBudget;
  }

  long lba() {
    return lba;
  }

  /** Records that write {@code opId} of {@code writer} sends {@code seq} to this block, at {@code at}. */
  synchronized void writeInvoked(long opId, int writer, long seq, long at) {
    if (writer <= 0 || seq <= 0) {
      throw new IllegalArgumentException("lba=" + lba + ": write of writer " + writer + " seq " + seq);
    }
    add(opId, WRITE, writer, seq, at, NEVER, PENDING);
  }

  /** Records the outcome of a write: acked at {@code at}, or in doubt (it then never completes). */
  synchronized void writeCompleted(int writer, long seq, long at, boolean acked) {
    for (int i = size - 1; i >= 0; i--) {
      if (kinds[i] == WRITE && writers[i] == writer && seqs[i] == seq) {
        if (states[i] != PENDING || at < invoke[i]) {
          throw new IllegalStateException("lba=" + lba + ": completion at " + at + " of write seq " + seq
              + " of writer " + writer + " which is " + describe(i));
        }
        states[i] = acked ? ACKED : IN_DOUBT;
        complete[i] = acked ? at : NEVER;
        return;
      }
    }
    if (dropped == 0) {
      throw new IllegalStateException("lba=" + lba + ": completion of write seq " + seq + " of writer " + writer
          + " that was never invoked");
    }
  }

  /**
   * Records read {@code opId} over {@code [invokedAt, completedAt]} that returned {@code got} (zeros or a valid
   * stamp of this run and LBA); returns what is surely wrong with it already (a stamp no write sent here before the
   * read completed), else null. Everything else is for the search at the end.
   */
  synchronized Broken readCompleted(long opId, BlockStamp.Result got, long invokedAt, long completedAt) {
    int writer = got.seq() > 0 ? got.stamp().writer() : 0;
    long seq = Math.max(0, got.seq());
    add(opId, READ, writer, seq, invokedAt, completedAt, ACKED);
    if (seq == 0 || dropped > 0 || find(writer, seq) >= 0) {
      return null;
    }
    return new Broken("never written", "read returned " + got + " but no write of it was sent to this lba before "
        + "the read completed");
  }

  private void add(long opId, byte kind, int writer, long seq, long at, long done, byte state) {
    if (size == maxOps) {
      dropped++;
      return;
    }
    if (size == opIds.length) {
      int cap = Math.min(maxOps, size * 2);
      opIds = Arrays.copyOf(opIds, cap);
      invoke = Arrays.copyOf(invoke, cap);
      complete = Arrays.copyOf(complete, cap);
      seqs = Arrays.copyOf(seqs, cap);
      writers = Arrays.copyOf(writers, cap);
      kinds = Arrays.copyOf(kinds, cap);
      states = Arrays.copyOf(states, cap);
    }
    opIds[size] = opId;
    kinds[size] = kind;
    writers[size] = writer;
    seqs[size] = seq;
    invoke[size] = at;
    complete[size] = done;
    states[size] = state;
    size++;
  }

  /** The index of the write of {@code seq} by {@code writer}, or -1 (guarded by this). */
  private int find(int writer, long seq) {
    for (int i = size - 1; i >= 0; i--) {
      if (kinds[i] == WRITE && writers[i] == writer && seqs[i] == seq) {
        return i;
      }
    }
    return -1;
  }

  /** Ops this block may still record (0 once full). */
  synchronized int room() {
    return dropped > 0 ? 0 : maxOps - size;
  }

  /** Ops seen, recorded or not. */
  synchronized long ops() {
    return size + dropped;
  }

  /**
   * Checks the history (nothing in flight should remain, else in-flight writes count as in doubt): a read of a
   * stamp never written here or written only after the read completed, no linearization at all, or a history too
   * large to check. Empty when linearizable.
   */
  synchronized List<Violation> check() {
    return verdict().violation() == null ? List.of() : List.of(verdict().violation());
  }

  private Verdict verdict() {
    if (checkedSize != size || verdict == null) {
      verdict = searchHistory();
      checkedSize = size;
      finalVerdicts.clear();
    }
    return verdict;
  }

  private Verdict searchHistory() {
    if (dropped > 0) {
      return new Verdict(new Violation(lba, "too large to check", tooLarge(), -1));
    }
    for (int i = 0; i < size; i++) {
      if (kinds[i] == READ && seqs[i] > 0) {
        int w = find(writers[i], seqs[i]);
        if (w < 0) {
          return new Verdict(new Violation(lba, "never written", describe(i) + " but no write of it was sent to "
              + "this lba; history " + this, opIds[i]));
        }
        if (complete[i] <= invoke[w]) {
          return new Verdict(new Violation(lba, "future read", describe(i) + " but " + describe(w)
              + " was sent only after the read completed", opIds[i]));
        }
      }
    }
    Search s = new Search(-1);
    WglChecker.Result r = s.run();
    return switch (r.verdict()) {
      case LINEARIZABLE -> new Verdict(null);
      case TOO_LARGE -> new Verdict(new Violation(lba, "too large to check", "the search gave up after " + r.steps()
          + " steps on " + size + " ops (a failure of the configuration, not a pass: fewer contended ops per block)",
          -1));
      case NOT_LINEARIZABLE -> new Verdict(new Violation(lba, "not linearizable", s.explain(r), opIds[s.index(
          r.stuck())]));
    };
  }

  /**
   * The final check after healing, of zeros or a valid stamp of this run and LBA, with nothing in flight: null
   * when some linearization of the history ends with that value (the last write of one, or an in-doubt write placed
   * after everything), else why not. A value no write sent here, or one overwritten by a write invoked after it was
   * acked (zeros: any acked write), is rejected without search; otherwise the history plus a read of that value after
   * everything is searched, which also rejects an in-doubt value coming back after a newer one was read.
   */
  synchronized Broken finalRule(BlockStamp.Result got) {
    Verdict v = verdict();
    long key = got.seq() <= 0 ? 0 : got.stamp().writer() * (1L << 44) + got.seq();
    if (finalVerdicts.containsKey(key)) {
      return finalVerdicts.get(key);
    }
    Broken b = finalRuleUncached(got, v);
    finalVerdicts.put(key, b);
    return b;
  }

  private Broken finalRuleUncached(BlockStamp.Result got, Verdict v) {
    if (dropped > 0) {
      return new Broken("too large to check", tooLarge());
    }
    int w = got.seq() > 0 ? find(got.stamp().writer(), got.seq()) : -1;
    if (got.seq() > 0 && w < 0) {
      return new Broken("never written", "no write of it was sent to this lba");
    }
    for (int i = 0; i < size; i++) {
      if (kinds[i] == WRITE && states[i] == ACKED && (w < 0 || complete[w] <= invoke[i])) {
        return w < 0 ? new Broken("lost write", "zeros, but " + describe(i) + " was acked")
            : new Broken("older value", "the value of " + describe(w) + ", but " + describe(i)
                + " was sent after it was acked");
      }
    }
    if (v.violation() != null) {
      return null; // the history itself fails (reported on its own): the rule above is all that can be said
    }
    Search s = new Search(w < 0 ? 0 : w + 1);
    WglChecker.Result r = s.run();
    return switch (r.verdict()) {
      case LINEARIZABLE -> null;
      case TOO_LARGE -> new Broken("too large to check", "the search for a final value gave up after " + r.steps()
          + " steps");
      case NOT_LINEARIZABLE -> new Broken("resurrection", "no linearization of the history ends with it (a value "
          + "overwritten or in doubt came back after a newer one was read): " + s.explain(r));
    };
  }

  /** What the block may hold at the end: the writes no acked write was sent after, or zeros if none was acked. */
  synchronized String expected() {
    List<String> allowed = new ArrayList<>();
    boolean anyAcked = false;
    for (int i = 0; i < size; i++) {
      anyAcked |= kinds[i] == WRITE && states[i] == ACKED;
    }
    if (!anyAcked) {
      allowed.add("zeros");
    }
    int more = 0;
    for (int i = size - 1; i >= 0; i--) {
      if (kinds[i] == WRITE && !followedByAck(i)) {
        if (allowed.size() < LISTED) {
          allowed.add("seq " + seqs[i] + " (writer " + writers[i] + ", op " + opIds[i] + (states[i] == ACKED ? ""
              : ", in doubt") + ")");
        } else {
          more++;
        }
      }
    }
    return (allowed.size() == 1 ? allowed.get(0) : "one of " + allowed) + (more > 0 ? " and " + more + " more" : "");
  }

  private boolean followedByAck(int w) {
    for (int i = 0; i < size; i++) {
      if (kinds[i] == WRITE && states[i] == ACKED && complete[w] <= invoke[i]) {
        return true;
      }
    }
    return false;
  }

  private String tooLarge() {
    return "the block saw " + (size + dropped) + " ops, more than the " + maxOps + " a search is run on (a failure "
        + "of the configuration, not a pass: fewer contended ops per block)";
  }

  /** One op for messages (guarded by this). */
  private String describe(int i) {
    String when = "[" + invoke[i] + ", " + (complete[i] == NEVER ? "never" : String.valueOf(complete[i])) + "]";
    if (kinds[i] == READ) {
      return "read op " + opIds[i] + " " + when + " returned " + value(writers[i], seqs[i]);
    }
    return "write op " + opIds[i] + " " + when + " of seq " + seqs[i] + " (writer " + writers[i] + ", "
        + (states[i] == ACKED ? "acked" : states[i] == IN_DOUBT ? "in doubt" : "in flight") + ")";
  }

  private static String value(int writer, long seq) {
    return seq == 0 ? "zeros" : "seq " + seq + " (writer " + writer + ")";
  }

  /**
   * One search over the recorded ops (guarded by this), optionally with a read of a final value after everything.
   * In-doubt writes no read returned are left out (placing one can never help a read), and one a read returned gets
   * that read's completion as its own: both keep exactly the same linearizations but spare the search from trying
   * every subset of unobserved in-doubt writes.
   */
  private final class Search {
    private final int[] index; // search op -> recorded op (-1: the final read)
    private final long[] call;
    private final long[] ret;
    private final boolean[] write;
    private final int[] value;

    /** {@code finalValue}: -1 for none, 0 for zeros, else 1 + the recorded index of the write. */
    Search(int finalValue) {
      long[] firstReadReturn = new long[size];
      Arrays.fill(firstReadReturn, NEVER);
      long last = 0;
      for (int i = 0; i < size; i++) {
        last = Math.max(last, Math.max(invoke[i], complete[i] == NEVER ? 0 : complete[i]));
        if (kinds[i] == READ && seqs[i] > 0) {
          int w = find(writers[i], seqs[i]);
          firstReadReturn[w] = Math.min(firstReadReturn[w], complete[i]);
        }
      }
      int n = 0;
      int[] idx = new int[size + 1];
      for (int i = 0; i < size; i++) {
        boolean unobserved = kinds[i] == WRITE && complete[i] == NEVER && firstReadReturn[i] == NEVER
            && finalValue != i + 1;
        if (!unobserved) {
          idx[n++] = i;
        }
      }
      if (finalValue >= 0) {
        idx[n++] = -1;
      }
      index = Arrays.copyOf(idx, n);
      call = new long[n];
      ret = new long[n];
      write = new boolean[n];
      value = new int[n];
      for (int k = 0; k < n; k++) {
        int i = index[k];
        if (i < 0) {
          call[k] = last + 1;
          ret[k] = NEVER;
          value[k] = finalValue;
        } else if (kinds[i] == WRITE) {
          write[k] = true;
          call[k] = invoke[i];
          ret[k] = complete[i] == NEVER ? firstReadReturn[i] : complete[i];
          value[k] = i + 1;
        } else {
          call[k] = invoke[i];
          ret[k] = complete[i];
          value[k] = seqs[i] == 0 ? 0 : find(writers[i], seqs[i]) + 1;
        }
      }
    }

    WglChecker.Result run() {
      return WglChecker.search(call, ret, write, value, stepBudget);
    }

    int index(int searchOp) {
      return index[searchOp];
    }

    /** The op that could not be placed, the last few placed before it and the value they left. */
    String explain(WglChecker.Result r) {
      StringBuilder b = new StringBuilder();
      int stuck = r.stuck() < 0 ? -1 : index[r.stuck()];
      b.append(stuck < 0 ? (r.stuck() < 0 ? "no op placed" : "the final read") : describe(stuck))
          .append(" cannot be linearized");
      int[] prefix = r.prefix();
      if (prefix.length > 0) {
        b.append(" after the ").append(prefix.length).append(" ops placed before it, ending with");
        for (int k = Math.max(0, prefix.length - 3); k < prefix.length; k++) {
          int i = index[prefix[k]];
          b.append(k > Math.max(0, prefix.length - 3) ? "; " : " ").append(i < 0 ? "the final read" : describe(i));
        }
      }
      int v = r.valueThere();
      b.append(" (the block then holds ").append(v == 0 ? "zeros" : value(writers[v - 1], seqs[v - 1])).append(")");
      b.append("; history ").append(RegisterHistory.this);
      return b.toString();
    }
  }

  @Override
  public synchronized String toString() {
    int writes = 0;
    int acked = 0;
    int inDoubt = 0;
    for (int i = 0; i < size; i++) {
      if (kinds[i] == WRITE) {
        writes++;
        acked += states[i] == ACKED ? 1 : 0;
        inDoubt += states[i] != ACKED ? 1 : 0;
      }
    }
    return "contended: " + (size + dropped) + " ops (" + writes + " writes, " + acked + " acked, " + inDoubt
        + " in doubt or in flight; " + (size - writes) + " reads" + (dropped > 0 ? "; " + dropped + " not recorded"
        : "") + ")";
  }
}
