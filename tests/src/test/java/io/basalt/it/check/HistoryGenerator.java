package io.basalt.it.check;

import io.basalt.it.check.OpHistory.Kind;
import io.basalt.it.check.OpHistory.Op;
import io.basalt.it.check.OpHistory.Outcome;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Correct-by-construction histories for the checker's unit tests: a simulated linearizable block store. Every write
 * and read gets a linearization point strictly inside its interval; a write takes effect at that point (in-doubt
 * writes only sometimes), and a read returns, per block, the last write in effect at its point. Writers are QD1 over
 * their own blocks; times are integers (invokes = 0 mod 4, completions = 2 mod 4, points = 1 mod 4).
 */
final class HistoryGenerator {
  static final long RUN = 11;
  static final long VOLUME = 22;

  /** A generated write as seen by one of its blocks. */
  record GenWrite(Op op, long lin, boolean effective) {
    boolean acked() {
      return op.outcome() == Outcome.OK;
    }
  }

  final int blocks;
  final List<Op> ops = new ArrayList<>();
  final Map<Long, List<GenWrite>> writesByBlock = new HashMap<>();
  final Map<Long, Long> readLin = new HashMap<>();
  private long opIds;
  private List<Op> reads;

  private HistoryGenerator(int blocks) {
    this.blocks = blocks;
  }

  static HistoryGenerator generate(long seed) {
    Random r = new Random(seed);
    int writers = 1 + r.nextInt(4);
    int per = 2 + r.nextInt(4);
    HistoryGenerator g = new HistoryGenerator(writers * per + 2); // the last 2 blocks are never written
    for (int w = 1; w <= writers; w++) {
      long base = (long) (w - 1) * per;
      long t = r.nextInt(5);
      long seq = 0;
      for (int k = 0, n = 5 + r.nextInt(35); k < n; k++) {
        long a = t + r.nextInt(3);
        long b = a + r.nextInt(6);
        long lin = 4 * (a + r.nextInt((int) (b - a + 1))) + 1;
        long lba = base + r.nextInt(per);
        int count = 1 + r.nextInt((int) Math.min(3, base + per - lba));
        double p = r.nextDouble();
        Outcome o = p < 0.75 ? Outcome.OK : p < 0.87 ? Outcome.TIMEOUT : Outcome.ERR;
        boolean effective = o == Outcome.OK || r.nextBoolean();
        Op op = Op.write(++g.opIds, w, lba, count, ++seq, 4 * a, 4 * b + 2, o);
        g.ops.add(op);
        for (int i = 0; i < count; i++) {
          g.writesByBlock.computeIfAbsent(lba + i, x -> new ArrayList<>()).add(new GenWrite(op, lin, effective));
        }
        t = b + 1;
      }
    }
    int readers = 1 + r.nextInt(3);
    for (int reader = 1; reader <= readers; reader++) {
      long t = r.nextInt(5);
      for (int k = 0, n = 5 + r.nextInt(35); k < n; k++) {
        long a = t + r.nextInt(3);
        long b = a + r.nextInt(6);
        long lin = 4 * (a + r.nextInt((int) (b - a + 1))) + 1;
        long lba = r.nextInt(g.blocks);
        int count = 1 + r.nextInt((int) Math.min(3, g.blocks - lba));
        List<BlockStamp.Result> seen = new ArrayList<>();
        for (int i = 0; i < count; i++) {
          seen.add(g.valueAt(lba + i, lin));
        }
        Op op = Op.read(++g.opIds, 1000 + reader, lba, seen, 4 * a, 4 * b + 2);
        g.ops.add(op);
        g.readLin.put(op.opId(), lin);
        t = b + 1;
      }
    }
    return g;
  }

  /** What block {@code lba} holds at time {@code t} (a write at point t is already in effect). */
  BlockStamp.Result valueAt(long lba, long t) {
    GenWrite last = null;
    for (GenWrite w : writesByBlock.getOrDefault(lba, List.of())) {
      if (w.effective() && w.lin() <= t && (last == null || w.lin() > last.lin())) {
        last = w;
      }
    }
    return last == null ? BlockStamp.Result.ZERO : valid(lba, last.op());
  }

  /** The block's content after everything. */
  BlockStamp.Result finalValue(long lba) {
    return valueAt(lba, Long.MAX_VALUE);
  }

  List<GenWrite> writes(long lba) {
    return writesByBlock.getOrDefault(lba, List.of());
  }

  List<Op> reads() {
    if (reads == null) {
      reads = ops.stream().filter(o -> o.kind() == Kind.READ).toList();
    }
    return reads;
  }

  static BlockStamp.Result valid(long lba, Op write) {
    return stamped(new BlockStamp(VOLUME, lba, write.actor(), write.seq(), write.opId(), RUN), lba);
  }

  /** Encodes and decodes, so a hand-made value is exactly what a real read of those bytes yields. */
  static BlockStamp.Result stamped(BlockStamp s, long readAt) {
    return BlockStamp.decode(s.encode(), readAt);
  }

  /** {@code ops} with block {@code i} of read {@code read} replaced by {@code value}. */
  static List<Op> replace(List<Op> ops, Op read, int i, BlockStamp.Result value) {
    List<Op> out = new ArrayList<>(ops);
    List<BlockStamp.Result> seen = new ArrayList<>(read.seen());
    seen.set(i, value);
    out.set(out.indexOf(read), read.withSeen(seen));
    return out;
  }
}
