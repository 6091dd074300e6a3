package io.basalt.tester;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The per-case table: runs, skips, p50 and max of pauses and of the time to full redundancy, in-doubt writes. */
class CaseFiguresTest {
  @Test
  void tableHasOneRowPerCaseWithMediansAndMaxima() {
    CaseFigures f = new CaseFigures(new CaseCatalog().select(List.of("kill-owner", "disk-full"), false));
    f.ran("kill-owner", 300, 4000, 2, new FioVerifyLoad.Result(1, 0, null));
    f.ran("kill-owner", 100, 9000, 0, new FioVerifyLoad.Result(2, 1, null));
    f.ran("kill-owner", 200, 5000, 1, new FioVerifyLoad.Result(0, 0, null));
    f.skipped("disk-full");
    assertThat(f.runs()).isEqualTo(3);
    String table = f.table("figures:");
    assertThat(table.lines()).hasSize(5).first().isEqualTo("figures:");
    assertThat(table).contains("| kill-owner | 3 | 0 | 200 | 300 | 5000 | 9000 | 3 | 3 | 1 |")
        .contains("| disk-full | 0 | 1 | - | - | - | - | 0 | 0 | 0 |");
  }

  @Test
  void medianOfAnEvenCountIsTheLowerMiddle() {
    assertThat(CaseFigures.p50(List.of(4L, 1L, 3L, 2L))).isEqualTo("2");
    assertThat(CaseFigures.max(List.of(4L, 1L))).isEqualTo("4");
    assertThat(CaseFigures.p50(List.of())).isEqualTo("-");
  }
}
