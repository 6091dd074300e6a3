package io.basalt.meta.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.meta.recovery.RecoveryTable.Departure;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The soft per-term state recovery keeps for returning chunks: catch-up holders and departures. */
class RecoveryTableTest {
  final RecoveryTable rt = new RecoveryTable();

  @Test
  void aReportReplacesTheChunksHoldings() {
    assertThat(rt.holdings(3)).isNull();
    rt.holds(3, Set.of(7L, 8L), 100);
    rt.holds(4, Set.of(8L), 110);
    assertThat(rt.holdersOf(8)).containsExactlyInAnyOrder(3, 4);
    assertThat(rt.holdersOf(7)).containsExactly(3);
    rt.holds(3, Set.of(), 200);
    assertThat(rt.holdings(3)).isEqualTo(new RecoveryTable.Holdings(Set.of(), 200));
    assertThat(rt.holdersOf(7)).as("an empty report clears it, its time stays").isEmpty();
    assertThat(rt.holdersOf(8)).containsExactly(4);
  }

  @Test
  void departuresAreKeptPerExtentAndChunkAndCountedOnce() {
    Departure first = new Departure(7, 3, 42, 100);
    Departure again = new Departure(7, 3, 42, 300);
    Departure other = new Departure(7, 4, 43, 200);
    rt.departed(first);
    rt.departed(other);
    rt.departed(again);
    assertThat(rt.departures(7)).as("the same chunk again replaces its departure").containsExactly(other, again);
    assertThat(rt.departures(8)).isEmpty();
    assertThat(rt.firstWait(again)).isTrue();
    assertThat(rt.firstWait(again)).isFalse();

    rt.retainDepartures(d -> d.atNanos() > 250);
    assertThat(rt.departures(7)).containsExactly(again);
    rt.clearDepartures(7);
    assertThat(rt.departures(7)).isEmpty();
    rt.departed(again);
    assertThat(rt.firstWait(again)).as("a new record is counted again").isTrue();
  }
}
