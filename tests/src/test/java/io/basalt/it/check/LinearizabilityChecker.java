package io.basalt.it.check;

import io.basalt.it.check.BlockModel.Violation;
import io.basalt.it.check.OpHistory.Kind;
import io.basalt.it.check.OpHistory.Op;
import io.basalt.it.check.OpHistory.Outcome;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;
import java.util.function.LongSupplier;

/**
 * Per-block linearizability of a whole history (TESTPLAN 3.3), offline: replays the ops' invocations and
 * completions in time order into a fresh {@link BlockModel}, so the checks the stresser ran online are repeated
 * exactly, without the races of live threads. O(n log n): blocks are independent registers with one writer each and
 * unique seqs, so no search is needed. An op completed at time t precedes an op invoked at t. The blocks of a
 * contended range (several writers) are then checked by search, one block at a time ({@link WglChecker}).
 *
 * <p>The final state after healing is checked with {@link #checkFinal}. Stateless; thread-safe.
 */
public final class LinearizabilityChecker {
  private LinearizabilityChecker() {}

  /** The outcome of a replay: the model it left (for the final check), what broke, and what was checked. */
  public record Replay(BlockModel model, List<Violation> violations, long writes, long readsChecked) {
    public boolean ok() {
      return violations.isEmpty();
    }
  }

  private record Event(long at, int phase, Op op) {}

  private static final class ReplayClock implements LongSupplier {
    long now;

    @Override
    public long getAsLong() {
      return now;
    }
  }

  /**
   * Replays {@code ops} (any order) on a volume of {@code blocks} blocks written by run {@code runId}, without a
   * contended range (a run with one: {@link #replay(BlockModel, Collection)} with the stresser's model).
   */
  public static Replay replay(long runId, long volumeId, long blocks, Collection<Op> ops) {
    return replay(new BlockModel(runId, volumeId, blocks, System::nanoTime), ops);
  }

  /**
   * Replays {@code ops} (any order) into an empty model like {@code like} (same run, volume, size and contended
   * range), then searches the contended blocks.
   */
  public static Replay replay(BlockModel like, Collection<Op> ops) {
    List<Event> events = new ArrayList<>(ops.size() * 2);
    for (Op op : ops) {
      boolean checkable = op.kind() == Kind.WRITE || (op.kind() == Kind.READ && op.outcome() == Outcome.OK);
      if (checkable) {
        events.add(new Event(op.invokeNanos(), 1, op));
        events.add(new Event(op.completeNanos(), 0, op));
      }
    }
    events.sort(Comparator.comparingLong(Event::at).thenComparingInt(Event::phase)
        .thenComparingLong(e -> e.op().opId()));
    ReplayClock clock = new ReplayClock();
    BlockModel model = like.fresh(clock);
    Map<Long, BlockModel.ReadToken> reads = new HashMap<>();
    List<Violation> violations = new ArrayList<>();
    long writes = 0;
    long readsChecked = 0;
    for (Event e : events) {
      clock.now = e.at();
      Op op = e.op();
      if (op.kind() == Kind.WRITE) {
        if (e.phase() == 1) {
          model.writeInvoked(op.actor(), op.seq(), op.lba(), op.blocks(), op.opId());
        } else {
          model.writeCompleted(op.actor(), op.seq(), op.lba(), op.blocks(), op.outcome() == Outcome.OK);
          writes++;
        }
      } else if (e.phase() == 1) {
        reads.put(op.opId(), model.readInvoked(op.lba(), op.blocks()));
      } else {
        violations.addAll(model.readCompleted(reads.remove(op.opId()), op.seen(), op.opId()).violations());
        readsChecked++;
      }
    }
    violations.addAll(model.checkContended());
    return new Replay(model, List.copyOf(violations), writes, readsChecked);
  }

  /**
   * Checks blocks {@code [from, to)} as read back after healing from one source ({@code where}: "volume",
   * "replica cid=2 ..."), {@code contents} decoding one block; returns every violation found, in LBA order.
   */
  public static List<Violation> checkFinal(BlockModel model, long from, long to,
      LongFunction<BlockStamp.Result> contents, String where) {
    List<Violation> bad = new ArrayList<>();
    for (long lba = from; lba < to; lba++) {
      model.checkFinal(lba, contents.apply(lba), where).ifPresent(bad::add);
    }
    return bad;
  }
}
