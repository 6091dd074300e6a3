package io.basalt.it.check;

import io.basalt.it.check.OpHistory.Kind;
import io.basalt.it.check.OpHistory.Op;
import io.basalt.it.check.OpHistory.Outcome;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * What may survive a power cut (TESTPLAN 3.3, durability): the durable prefix is the writes acked before the last
 * FLUSH that completed before the cut, plus every FUA write acked before it. Those must survive; later acked writes
 * may be lost, but never replaced by garbage or by a value nobody wrote.
 *
 * <p>A FLUSH covers the writes completed before it was <em>sent</em> (NBD semantics), not those acked while it was
 * in flight, so the durable point is the latest send time among the OK flushes completed by the cut (flushes come
 * from several writers and may overlap). Writes acked after that point and not FUA become in doubt; writes sent after
 * the cut are left as they are (issued after a restart). Reads say nothing about durability (a value read from a
 * cache may be lost), so the returned model is a replay of the writes only, for the final content check; the run's
 * own reads were checked against the run.
 *
 * <p>Needs the whole history (a cut may reach back to any block's last flushed write). Stateless; thread-safe.
 */
public final class PowerCut {
  private PowerCut() {}

  /**
   * The cut's effect: the model the final state is checked against, the flush that bounds the durable prefix (null:
   * none completed, only FUA writes are durable), and how many acked writes are durable and how many may be lost.
   */
  public record Durability(BlockModel model, long cutNanos, Op lastFlush, long durableWrites, long maybeLost) {
    public String summary() {
      return "power cut at " + cutNanos + ": " + durableWrites + " acked writes durable ("
          + (lastFlush == null ? "no FLUSH completed, FUA only" : "up to FLUSH op " + lastFlush.opId() + " sent at "
          + lastFlush.invokeNanos()) + "), " + maybeLost + " acked after it may be lost";
    }
  }

  /**
   * The durability of {@code ops} (the whole history) under a cut at {@code cutNanos}, on a model like {@code like}.
   */
  public static Durability at(BlockModel like, Collection<Op> ops, long cutNanos) {
    Op last = null;
    for (Op op : ops) {
      if (op.kind() == Kind.FLUSH && op.outcome() == Outcome.OK && op.completeNanos() <= cutNanos
          && (last == null || op.invokeNanos() > last.invokeNanos())) {
        last = op;
      }
    }
    long durablePoint = last == null ? Long.MIN_VALUE : last.invokeNanos();
    List<Op> writes = new ArrayList<>();
    long durable = 0;
    long lost = 0;
    for (Op op : ops) {
      if (op.kind() != Kind.WRITE) {
        continue;
      }
      if (op.outcome() != Outcome.OK || op.invokeNanos() >= cutNanos) {
        writes.add(op);
      } else if (op.completeNanos() <= durablePoint || (op.fua() && op.completeNanos() <= cutNanos)) {
        writes.add(op);
        durable++;
      } else {
        writes.add(op.withOutcome(Outcome.TIMEOUT, "acked but not durable: after the last FLUSH before the power "
            + "cut at " + cutNanos));
        lost++;
      }
    }
    return new Durability(LinearizabilityChecker.replay(like, writes).model(), cutNanos, last, durable, lost);
  }
}
