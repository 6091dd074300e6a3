package io.basalt.meta.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.meta.recovery.RecoveryTable.Departure;
import io.basalt.meta.recovery.ReturnWait.Departed;
import io.basalt.meta.recovery.ReturnWait.Kind;
import io.basalt.meta.recovery.ReturnWait.Verdict;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The return-wait rules on snapshots: times in ms for readability (a 10 s wait, fresh = 3 s). */
class ReturnWaitTest {
  static final long MS = 1_000_000L;
  static final long WAIT = 10_000 * MS;
  static final long FRESH = ReturnWait.freshNanos(1_000 * MS, 10_000 * MS);
  static final long NONE = Long.MIN_VALUE;
  /** Chunk 3 left pid 7 at t = 1 s while holding session 42. */
  static final Departure LEFT = new Departure(7, 3, 42, 1_000 * MS);

  static Verdict judge(Departed d, int live, long nowMs) {
    return ReturnWait.judge(List.of(d), live, nowMs * MS, WAIT, FRESH);
  }

  @Test
  void freshnessIsTwoKeepalivesAtLeastAThirdOfTheTimeout() {
    assertThat(FRESH).isEqualTo(3_333_333_333L);
    assertThat(ReturnWait.freshNanos(2_000 * MS, 3_000 * MS)).isEqualTo(4_000 * MS);
  }

  @Test
  void aSilentChunkIsWaitedForUntilTheWaitEnds() {
    Departed silent = new Departed(LEFT, 42, 800 * MS, NONE, false); // last keepalive before it left
    assertThat(judge(silent, 2, 1_200)).isEqualTo(new Verdict(Kind.WAIT, 3, LEFT));
    assertThat(judge(silent, 2, 10_999).kind()).isEqualTo(Kind.WAIT);
    assertThat(judge(silent, 2, 11_000)).as("the wait is over: planned as today").isEqualTo(Verdict.NONE);
    Departed expired = new Departed(LEFT, 0, NONE, NONE, false);
    assertThat(judge(expired, 2, 5_000).kind()).as("its session ended: still its chance").isEqualTo(Kind.WAIT);
  }

  @Test
  void noWaitWithOneLiveReplicaLeft() {
    Departed silent = new Departed(LEFT, 42, 800 * MS, NONE, false);
    assertThat(judge(silent, 1, 1_200)).isEqualTo(Verdict.NONE);
  }

  @Test
  void noWaitWhenTheSameSessionIsAliveAndHeardAfterTheFailure() {
    Departed alive = new Departed(LEFT, 42, 1_500 * MS, NONE, false);
    assertThat(judge(alive, 2, 1_600)).as("only its data channel failed").isEqualTo(Verdict.NONE);
    Departed heardBefore = new Departed(LEFT, 42, 900 * MS, NONE, false);
    assertThat(judge(heardBefore, 2, 1_100).kind())
        .as("a keepalive from before the failure proves nothing: a killed chunk's last one is recent too")
        .isEqualTo(Kind.WAIT);
    Departed wentSilent = new Departed(LEFT, 42, 1_500 * MS, NONE, false);
    assertThat(judge(wentSilent, 2, 1_500 + 3_334).kind()).as("heard after, then silent for longer than fresh")
        .isEqualTo(Kind.WAIT);
  }

  @Test
  void aRestartedChunkThatReportedTheCopyIsPreferred() {
    Departed back = new Departed(LEFT, 77, 2_000 * MS, 1_900 * MS, true);
    assertThat(judge(back, 2, 2_100)).isEqualTo(new Verdict(Kind.PREFER, 3, LEFT));
    assertThat(judge(back, 1, 2_100).kind()).as("preferred with one live replica too: it is ready now")
        .isEqualTo(Kind.PREFER);
    Departed noSessionYet = new Departed(LEFT, 0, NONE, 1_900 * MS, true);
    assertThat(judge(noSessionYet, 2, 2_100).kind()).as("reported before its new session opened: waits")
        .isEqualTo(Kind.WAIT);
  }

  @Test
  void aRestartedChunkNotReportedYetIsWaitedForAndOneWithoutTheCopyIsNot() {
    Departed notYet = new Departed(LEFT, 77, 2_000 * MS, NONE, false);
    assertThat(judge(notYet, 2, 2_100).kind()).isEqualTo(Kind.WAIT);
    Departed oldReport = new Departed(LEFT, 77, 2_000 * MS, 500 * MS, true);
    assertThat(judge(oldReport, 2, 2_100).kind()).as("a report from before it left does not count")
        .isEqualTo(Kind.WAIT);
    Departed without = new Departed(LEFT, 77, 2_000 * MS, 1_900 * MS, false);
    assertThat(judge(without, 2, 2_100)).as("back without a copy of this extent").isEqualTo(Verdict.NONE);
  }

  @Test
  void aPreferredReturnWinsOverAnotherDepartureToWaitFor() {
    Departure other = new Departure(7, 4, 43, 1_000 * MS);
    Departed silent = new Departed(other, 43, 800 * MS, NONE, false);
    Departed back = new Departed(LEFT, 77, 2_000 * MS, 1_900 * MS, true);
    assertThat(ReturnWait.judge(List.of(silent, back), 3, 2_100 * MS, WAIT, FRESH))
        .isEqualTo(new Verdict(Kind.PREFER, 3, LEFT));
  }

  @Test
  void aZeroWaitTurnsItOff() {
    Departed silent = new Departed(LEFT, 42, 800 * MS, NONE, false);
    Departed back = new Departed(LEFT, 77, 2_000 * MS, 1_900 * MS, true);
    assertThat(ReturnWait.judge(List.of(silent), 2, 1_200 * MS, 0, FRESH)).isEqualTo(Verdict.NONE);
    assertThat(ReturnWait.judge(List.of(back), 2, 2_100 * MS, 0, FRESH)).isEqualTo(Verdict.NONE);
    assertThat(ReturnWait.judge(List.of(), 2, 2_100 * MS, WAIT, FRESH)).isEqualTo(Verdict.NONE);
  }
}
