package io.basalt.it.check;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * Linearizability of one register's history by search (TESTPLAN 3.3, contended range): Wing & Gong's algorithm with
 * Lowe's memoisation of (linearized set, value), as porcupine and Knossos run it. Needed where a block has several
 * writers, so the order of its writes is not known in advance and the single-writer rules of {@link BlockRegister}
 * do not apply.
 *
 * <p>The history is ops {@code 0..n-1}: a write of {@code value[i]} or a read that returned {@code value[i]}, with
 * its call and return time; the register starts at value 0 (zeros). An op that returned at time t precedes an op
 * called at t or later. An op that never returned ({@code Long.MAX_VALUE}: an in-doubt write) may be linearized
 * anywhere after its call, including after everything else, which for a register is the same as never taking effect.
 *
 * <p>Events are kept in a doubly linked list; linearizing an op unlinks its call and return (dancing links), and
 * backtracking relinks them. The search is exponential in the worst case: it gives up after {@code stepBudget} steps
 * with {@link Verdict#TOO_LARGE}, which a caller must report as a failure, never as a pass. The memo key keeps only
 * the words of the linearized set past its all-linearized prefix, so it stays a few words long on the low-concurrency
 * histories the stresser makes. Stateless; thread-safe.
 */
final class WglChecker {
  /**
   * Steps one search may take before it is given up as too large. A stresser block's history of 1000-2000 ops, with
   * many in-doubt writes, takes under 2000; each step keeps at most one memo entry of about 100 bytes, so this bounds
   * a search to about 20 MB (CI runs tests in 192 MB heaps).
   */
  static final long DEFAULT_STEP_BUDGET = 200_000;

  enum Verdict { LINEARIZABLE, NOT_LINEARIZABLE, TOO_LARGE }

  /**
   * The outcome of a search. When not linearizable: {@code stuck} is the op that could not be linearized at the
   * deepest point the search reached (the op whose return came while it was still unplaced), {@code prefix} the
   * ops linearized before it in that order, and {@code valueThere} the register's value at that point.
   */
  record Result(Verdict verdict, long steps, int stuck, int[] prefix, int valueThere) {
    boolean linearizable() {
      return verdict == Verdict.LINEARIZABLE;
    }
  }

  private WglChecker() {}

  /**
   * Searches a linearization of the ops; {@code call[i] <= ret[i]} ({@code Long.MAX_VALUE}: never returned);
   * {@code write[i]}: a write of {@code value[i]}, else a read that returned {@code value[i]}.
   */
  static Result search(long[] call, long[] ret, boolean[] write, int[] value, long stepBudget) {
    int n = call.length;
    if (ret.length != n || write.length != n || value.length != n) {
      throw new IllegalArgumentException("ops arrays of different lengths");
    }
    Events ev = new Events(call, ret);
    long[] lin = new long[(n + 63) >>> 6];
    int[] stackOp = new int[n];
    int[] stackValue = new int[n];
    int depth = 0;
    int state = 0;
    Set<Key> seen = new HashSet<>();
    int deepest = -1;
    int stuck = -1;
    int[] prefix = new int[0];
    int valueThere = 0;
    long steps = 0;
    int entry = ev.first();
    while (!ev.empty()) {
      if (++steps > stepBudget) {
        return new Result(Verdict.TOO_LARGE, steps, stuck, prefix, valueThere);
      }
      int op = entry >>> 1;
      if (Events.isCall(entry)) {
        if (write[op] || value[op] == state) {
          int next = write[op] ? value[op] : state;
          lin[op >>> 6] |= 1L << op;
          if (seen.add(Key.of(lin, next))) {
            stackOp[depth] = op;
            stackValue[depth++] = state;
            state = next;
            ev.lift(op);
            entry = ev.first();
            continue;
          }
          lin[op >>> 6] &= ~(1L << op);
        }
        entry = ev.next(entry);
      } else {
        // op returned before it could be placed: undo the last choice
        if (depth > deepest) {
          deepest = depth;
          stuck = op;
          prefix = Arrays.copyOf(stackOp, depth);
          valueThere = state;
        }
        if (depth == 0) {
          return new Result(Verdict.NOT_LINEARIZABLE, steps, stuck, prefix, valueThere);
        }
        int undo = stackOp[--depth];
        state = stackValue[depth];
        lin[undo >>> 6] &= ~(1L << undo);
        ev.unlift(undo);
        entry = ev.next(Events.callOf(undo));
      }
    }
    return new Result(Verdict.LINEARIZABLE, steps, -1, new int[0], state);
  }

  /**
   * Call and return events in time order in a doubly linked list with sentinels; event {@code 2i} is op i's call,
   * {@code 2i + 1} its return. At one instant returns come first (an op that returned at t precedes one called at
   * t), except an op's own return, which stays after its call.
   */
  private static final class Events {
    private final int head;
    private final int tail;
    private final int[] next;
    private final int[] prev;

    Events(long[] call, long[] ret) {
      int n = call.length;
      Integer[] order = new Integer[2 * n];
      for (int e = 0; e < 2 * n; e++) {
        order[e] = e;
      }
      Arrays.sort(order, (a, b) -> {
        int c = Long.compare(time(call, ret, a), time(call, ret, b));
        if (c != 0) {
          return c;
        }
        c = Integer.compare(rank(call, ret, a), rank(call, ret, b));
        return c != 0 ? c : Integer.compare(a, b);
      });
      head = 2 * n;
      tail = 2 * n + 1;
      next = new int[2 * n + 2];
      prev = new int[2 * n + 2];
      int last = head;
      for (int e : order) {
        next[last] = e;
        prev[e] = last;
        last = e;
      }
      next[last] = tail;
      prev[tail] = last;
    }

    private static long time(long[] call, long[] ret, int e) {
      return isCall(e) ? call[e >>> 1] : ret[e >>> 1];
    }

    /** Returns before calls at one instant; the return of a zero-length op after every call there. */
    private static int rank(long[] call, long[] ret, int e) {
      int op = e >>> 1;
      return isCall(e) ? 1 : call[op] == ret[op] ? 2 : 0;
    }

    static boolean isCall(int e) {
      return (e & 1) == 0;
    }

    static int callOf(int op) {
      return 2 * op;
    }

    boolean empty() {
      return next[head] == tail;
    }

    int first() {
      return next[head];
    }

    int next(int e) {
      return next[e];
    }

    void lift(int op) {
      unlink(2 * op);
      unlink(2 * op + 1);
    }

    /** Exactly the reverse of {@link #lift}, so the neighbours' links are restored. */
    void unlift(int op) {
      relink(2 * op + 1);
      relink(2 * op);
    }

    private void unlink(int e) {
      next[prev[e]] = next[e];
      prev[next[e]] = prev[e];
    }

    private void relink(int e) {
      next[prev[e]] = e;
      prev[next[e]] = e;
    }
  }

  /**
   * A memo entry: the register's value and the linearized set, stored as the index of its first word that is not
   * all ones (every op below is linearized) and the words from there to its last non-zero word.
   */
  private static final class Key {
    private final int value;
    private final int from;
    private final long[] words;
    private final int hash;

    private Key(int value, int from, long[] words) {
      this.value = value;
      this.from = from;
      this.words = words;
      this.hash = (31 * value + from) * 31 + Arrays.hashCode(words);
    }

    static Key of(long[] lin, int value) {
      int from = 0;
      while (from < lin.length && lin[from] == -1L) {
        from++;
      }
      int to = lin.length;
      while (to > from && lin[to - 1] == 0) {
        to--;
      }
      return new Key(value, from, Arrays.copyOfRange(lin, from, to));
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && k.value == value && k.from == from && Arrays.equals(k.words, words);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }
}
