package io.basalt.chunk.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.chunk.store.ByteRange;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The paging of an incremental catch-up: changed bytes per page, ranges cut at the budget, the extent's end. */
class CatchUpPagesTest {
  private static final int B = 4096;

  private static ByteRange r(long fromBlock, long blocks) {
    return new ByteRange(fromBlock * B, blocks * B);
  }

  @Test
  void aPageTakesChangedBytesUpToTheBudgetAndCutsARange() {
    List<ByteRange> changed = List.of(r(2, 1), r(10, 4), r(100, 2));
    CatchUpPages.Page first = CatchUpPages.page(changed, 0, 3L * B, 256L * B);
    assertThat(first.ranges()).containsExactly(r(2, 1), r(10, 2));
    assertThat(first.nextOffset()).isEqualTo(12L * B);
    assertThat(first.done()).isFalse();

    CatchUpPages.Page second = CatchUpPages.page(changed, first.nextOffset(), 3L * B, 256L * B);
    assertThat(second.ranges()).containsExactly(r(12, 2), r(100, 1));
    assertThat(second.done()).isFalse();

    CatchUpPages.Page last = CatchUpPages.page(changed, second.nextOffset(), 3L * B, 256L * B);
    assertThat(last.ranges()).containsExactly(r(101, 1));
    assertThat(last.done()).isTrue();
    assertThat(last.nextOffset()).as("done: the extent's end").isEqualTo(256L * B);
  }

  @Test
  void aFullBudgetEndingExactlyAtTheLastChangeIsDone() {
    CatchUpPages.Page p = CatchUpPages.page(List.of(r(1, 1), r(5, 2)), 0, 3L * B, 64L * B);
    assertThat(p.ranges()).containsExactly(r(1, 1), r(5, 2));
    assertThat(p.done()).isTrue();
  }

  @Test
  void aFullBudgetWithChangesLeftEndsWhereItStopped() {
    CatchUpPages.Page p = CatchUpPages.page(List.of(r(1, 1), r(5, 2), r(9, 1)), 0, 3L * B, 64L * B);
    assertThat(p.ranges()).containsExactly(r(1, 1), r(5, 2));
    assertThat(p.done()).isFalse();
    assertThat(p.nextOffset()).isEqualTo(7L * B);
  }

  @Test
  void nothingChangedIsOneEmptyLastPageAndRangesPastTheEndAreClipped() {
    assertThat(CatchUpPages.page(List.of(), 0, 1 << 20, 64L * B))
        .isEqualTo(new CatchUpPages.Page(List.of(), 64L * B, true));
    CatchUpPages.Page p = CatchUpPages.page(List.of(r(60, 8)), 0, 1 << 20, 64L * B);
    assertThat(p.ranges()).containsExactly(r(60, 4));
    assertThat(p.done()).isTrue();
  }
}
