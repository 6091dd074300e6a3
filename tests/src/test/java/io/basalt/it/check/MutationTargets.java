package io.basalt.it.check;

import io.basalt.it.check.OpHistory.Kind;
import io.basalt.it.check.OpHistory.Op;
import io.basalt.it.check.OpHistory.Outcome;
import java.nio.ByteBuffer;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;

/**
 * Blocks and contents for the checker's self-tests (TESTPLAN 3.8), chosen from a finished stresser run: an acked
 * block that was overwritten (so an older stamp of it exists), that older stamp, and a divergent block whose header
 * and CRC32C check out but whose content is not any write's (F19c).
 */
final class MutationTargets {
  private MutationTargets() {}

  /** An acked write op of a random writer whose block was acked again later, so an older stamp of it exists. */
  static long overwrittenAckedBlock(Stresser s) {
    List<Op> writes = s.history().ops().stream()
        .filter(o -> o.kind() == Kind.WRITE && o.outcome() == Outcome.OK && o.actor() != StressLayout.SEQUENTIAL_WRITER)
        .sorted(Comparator.comparingLong(Op::seq)).toList();
    for (int i = writes.size() - 1; i >= 0; i--) {
      Op later = writes.get(i);
      long lba = later.lba();
      if (s.model().lastAcked(lba) == later.seq() && olderAckedWrite(s, lba) != null) {
        return lba;
      }
    }
    throw new IllegalStateException("no block acked twice in " + writes.size() + " acked writes: stress longer");
  }

  /** The 4 KiB an earlier acked write put at {@code lba}: a valid stamp with a lower seq than the last acked one. */
  static byte[] olderStamp(Stresser s, long lba) {
    Op w = olderAckedWrite(s, lba);
    if (w == null) {
      throw new IllegalStateException("lba=" + lba + " was acked only once");
    }
    return s.model().stamp(lba, w.actor(), w.seq(), w.opId()).encode();
  }

  private static Op olderAckedWrite(Stresser s, long lba) {
    long last = s.model().lastAcked(lba);
    return s.history().ops().stream().filter(o -> o.kind() == Kind.WRITE && o.outcome() == Outcome.OK
        && lba >= o.lba() && lba < o.lba() + o.blocks() && o.seq() < last).reduce((a, b) -> b).orElse(null);
  }

  /**
   * A block of the contended range where an acked write was overwritten by an acked write sent after the first was
   * acked: its older value is one no linearization ends with.
   */
  static long overwrittenContendedBlock(Stresser s) {
    StressLayout l = s.layout();
    for (long lba = l.contendedStart(); lba < l.contendedStart() + l.contendedBlocks(); lba++) {
      if (overwrittenContendedWrite(s, lba) != null) {
        return lba;
      }
    }
    throw new IllegalStateException("no contended block acked twice in a row: stress longer");
  }

  /** The 4 KiB of the overwritten write at {@code lba} (see {@link #overwrittenContendedBlock}). */
  static byte[] overwrittenContendedStamp(Stresser s, long lba) {
    Op w = overwrittenContendedWrite(s, lba);
    if (w == null) {
      throw new IllegalStateException("lba=" + lba + " has no overwritten acked write");
    }
    return s.model().stamp(lba, w.actor(), w.seq(), w.opId()).encode();
  }

  private static Op overwrittenContendedWrite(Stresser s, long lba) {
    List<Op> acked = s.history().ops().stream().filter(o -> o.kind() == Kind.WRITE && o.outcome() == Outcome.OK
        && lba >= o.lba() && lba < o.lba() + o.blocks() && s.layout().isContended(lba)).toList();
    return acked.stream().filter(x -> acked.stream().anyMatch(y -> x.completeNanos() <= y.invokeNanos()))
        .findFirst().orElse(null);
  }

  /**
   * The current stamp's header with random content and a CRC32C that matches it: valid to the store and to a
   * CRC check, divergent from every write.
   */
  static byte[] divergentBlock(Stresser s, long lba, long seed) {
    byte[] b = s.model().stamp(lba, Math.max(1, s.model().writer(lba)), Math.max(1, s.model().lastAcked(lba)), 0)
        .encode();
    byte[] fill = new byte[BlockStamp.BLOCK - BlockStamp.HEADER];
    new Random(seed).nextBytes(fill);
    System.arraycopy(fill, 0, b, BlockStamp.HEADER, fill.length);
    ByteBuffer.wrap(b).putInt(56, 0);
    CRC32C c = new CRC32C();
    c.update(b, 0, b.length);
    ByteBuffer.wrap(b).putInt(56, (int) c.getValue());
    return b;
  }
}
