package io.basalt.it.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Block ownership: disjoint stripes, the sequential region and the contended range never overlap. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class StressLayoutTest {
  private static final long MiB = 1 << 20;

  private static void assertDisjoint(StressLayout l) {
    for (long lba = 0; lba < l.volumeBlocks(); lba++) {
      boolean seq = lba >= l.sequentialStart() && l.sequentialBlocks() > 0;
      int writer = l.writerOf(lba);
      if (l.isContended(lba)) {
        assertThat(writer).as("lba %d", lba).isZero();
        assertThat(seq).isFalse();
      } else if (seq) {
        assertThat(writer).isEqualTo(StressLayout.SEQUENTIAL_WRITER);
      }
    }
  }

  @Test
  void theContendedRangeStraddlesAnExtentBoundaryAndBelongsToNoWriter() {
    StressConfig c = StressConfig.defaults(1).withContended(3, 8);
    StressLayout l = new StressLayout(16 * MiB, c);
    assertThat(l.contendedBlocks()).isEqualTo(8);
    assertThat(l.contendedWriters()).isEqualTo(3);
    assertThat(l.firstContendedWriter()).isEqualTo(c.writers() + 2);
    long first = l.contendedStart();
    assertThat(first / 256).as("two extents").isNotEqualTo((first + 7) / 256);
    assertThat(l.extentsSpanned()).isGreaterThanOrEqualTo(8);
    assertDisjoint(l);
    Random r = new Random(3);
    for (int i = 0; i < 10_000; i++) {
      long[] w = l.pickContendedWrite(r);
      assertThat(w[1]).isBetween(1L, 4L);
      assertThat(l.isContended(w[0]) && l.isContended(w[0] + w[1] - 1)).isTrue();
      long[] read = l.pickRead(r);
      for (long lba = read[0]; lba < read[0] + read[1]; lba++) {
        assertThat(l.isContended(lba)).as("a random read touches the contended range").isFalse();
      }
    }
    for (int w = 2; w < 2 + c.writers(); w++) {
      for (long s : l.stripesOf(w)) {
        assertThat(s + l.stripeBlocks() <= first || s >= first + 8).as("stripe %d of writer %d", s, w).isTrue();
      }
    }
  }

  @Test
  void withoutAContendedRangeNothingIsContended() {
    StressLayout l = new StressLayout(16 * MiB, StressConfig.defaults(1));
    assertThat(l.contendedBlocks()).isZero();
    assertDisjoint(l);
    assertThatThrownBy(() -> l.pickContendedWrite(new Random(1))).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void smallAndOneExtentVolumes() {
    // one extent, no sequential writer: the range sits in the middle
    StressConfig c = StressConfig.defaults(1).withWorkers(2, false, 1).withLayout(4 * MiB, 512, 4)
        .withContended(2, 3);
    StressLayout l = new StressLayout(4 * MiB, c);
    assertThat(l.contendedStart()).isBetween(500L, 520L);
    assertDisjoint(l);
    assertThatThrownBy(() -> StressConfig.defaults(1).withContended(2, 0)).isInstanceOf(
        IllegalArgumentException.class);
    assertThatThrownBy(() -> StressConfig.defaults(1).withContended(1, StressConfig.MAX_CONTENDED_BLOCKS + 1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
