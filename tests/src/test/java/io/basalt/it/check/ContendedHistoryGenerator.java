package io.basalt.it.check;

import static io.basalt.it.check.HistoryGenerator.valid;

import io.basalt.it.check.OpHistory.Op;
import io.basalt.it.check.OpHistory.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Linearizable-by-construction histories of a contended range, for the search's unit tests: a simulated store in
 * which 2-4 writers (QD1 each) write 1-4 blocks at a time anywhere in a range of 1-6 blocks, and 1-3 readers read
 * it. Every op gets a distinct linearization point inside its interval; a write takes effect there (all its blocks
 * at once), an in-doubt write only sometimes, and possibly after its error came back (a late apply); a read returns,
 * per block, the last write in effect at its point. Times are multiples of {@link #SCALE} apart, so points are
 * distinct: {@code SCALE * 4a} invokes, {@code SCALE * (4b + 2)} completes.
 *
 * <p>Also says which writes must precede which in every linearization, to build mutations that are surely not
 * linearizable.
 */
final class ContendedHistoryGenerator {
  static final long SCALE = 1024;

  /** A generated write: its op, its point, and whether it took effect. */
  record GenWrite(Op op, long lin, boolean effective) {
    boolean acked() {
      return op.outcome() == Outcome.OK;
    }
  }

  final int contended;
  final List<Op> ops = new ArrayList<>();
  final List<GenWrite> writes = new ArrayList<>();
  final List<Op> reads = new ArrayList<>();
  private long opIds;

  private ContendedHistoryGenerator(int contended) {
    this.contended = contended;
  }

  /** Blocks of the volume: the contended range {@code [0, contended)} and two never written. */
  long blocks() {
    return contended + 2;
  }

  /** An empty model of the generated volume (contended range at 0). */
  BlockModel model() {
    return new BlockModel(HistoryGenerator.RUN, HistoryGenerator.VOLUME, blocks(), () -> 0, 0, contended);
  }

  static ContendedHistoryGenerator generate(long seed) {
    Random r = new Random(seed);
    ContendedHistoryGenerator g = new ContendedHistoryGenerator(1 + r.nextInt(6));
    int writers = 2 + r.nextInt(3);
    for (int w = 2; w < 2 + writers; w++) {
      long t = r.nextInt(5);
      for (int k = 0, n = 3 + r.nextInt(20), seq = 1; k < n; k++, seq++) {
        long a = t + r.nextInt(3);
        long b = a + r.nextInt(6);
        double p = r.nextDouble();
        Outcome o = p < 0.75 ? Outcome.OK : p < 0.87 ? Outcome.TIMEOUT : Outcome.ERR;
        boolean effective = o == Outcome.OK || r.nextBoolean();
        long lba = r.nextInt(g.contended);
        int count = 1 + r.nextInt((int) Math.min(4, g.contended - lba));
        Op op = Op.write(++g.opIds, w, lba, count, seq, SCALE * 4 * a, SCALE * (4 * b + 2), o);
        long late = o == Outcome.OK ? 0 : r.nextInt(10);
        g.writes.add(new GenWrite(op, point(r, a, b + late, op.opId()), effective));
        g.ops.add(op);
        t = b + 1;
      }
    }
    int readers = 1 + r.nextInt(3);
    for (int reader = 1001; reader < 1001 + readers; reader++) {
      long t = r.nextInt(5);
      for (int k = 0, n = 5 + r.nextInt(30); k < n; k++) {
        long a = t + r.nextInt(3);
        long b = a + r.nextInt(6);
        long lba = r.nextInt(g.contended);
        int count = 1 + r.nextInt((int) Math.min(4, g.contended - lba));
        long id = ++g.opIds;
        long at = point(r, a, b, id);
        List<BlockStamp.Result> seen = new ArrayList<>();
        for (int i = 0; i < count; i++) {
          seen.add(g.valueAt(lba + i, at));
        }
        Op op = Op.read(id, reader, lba, seen, SCALE * 4 * a, SCALE * (4 * b + 2));
        g.reads.add(op);
        g.ops.add(op);
        t = b + 1;
      }
    }
    return g;
  }

  /** A point in {@code [a, b]} (in units of 4 SCALE), distinct from every other op's. */
  private static long point(Random r, long a, long b, long opId) {
    long x = a + r.nextInt((int) (b - a + 1));
    return SCALE * 4 * x + 1 + opId;
  }

  /** What block {@code lba} holds at point {@code t}. */
  BlockStamp.Result valueAt(long lba, long t) {
    GenWrite last = null;
    for (GenWrite w : writes) {
      if (w.effective() && w.lin() < t && covers(w.op(), lba) && (last == null || w.lin() > last.lin())) {
        last = w;
      }
    }
    return last == null ? BlockStamp.Result.ZERO : valid(lba, last.op());
  }

  /** The block's content after everything (late in-doubt applies included). */
  BlockStamp.Result finalValue(long lba) {
    return valueAt(lba, Long.MAX_VALUE);
  }

  static boolean covers(Op op, long lba) {
    return lba >= op.lba() && lba < op.lba() + op.blocks();
  }

  List<GenWrite> writesTo(long lba) {
    return writes.stream().filter(w -> covers(w.op(), lba)).toList();
  }

  /**
   * True when, at block {@code lba}, the value of {@code x} (null: zeros) must be replaced by write {@code y}'s
   * before any op invoked after {@code y} returns acked: x returned before y was invoked, or a read of x at this
   * block did. So no linearization has x as the block's value after an acked y completed.
   */
  boolean mustPrecede(GenWrite x, GenWrite y, long lba) {
    if (x == null) {
      return true;
    }
    if (x.acked() && x.op().completeNanos() <= y.op().invokeNanos()) {
      return true;
    }
    for (Op r : reads) {
      if (covers(r, lba) && r.completeNanos() <= y.op().invokeNanos()
          && isValueOf(r.seen().get((int) (lba - r.lba())), x)) {
        return true;
      }
    }
    return false;
  }

  /** True when {@code v} is the value of write {@code w} (null: zeros). */
  static boolean isValueOf(BlockStamp.Result v, GenWrite w) {
    return w == null ? v.seq() == 0
        : v.seq() == w.op().seq() && v.stamp().writer() == w.op().actor();
  }

  /** The generated write whose value {@code v} is at {@code lba} (null for zeros). */
  GenWrite writeOf(long lba, BlockStamp.Result v) {
    if (v.seq() <= 0) {
      return null;
    }
    return writesTo(lba).stream().filter(w -> isValueOf(v, w)).findFirst().orElseThrow();
  }
}
