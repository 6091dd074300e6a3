package io.basalt.meta.scrub;

import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.proto.ScrubRecord;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** When an extent is due, light or deep. */
class ScrubDueTest {
  static final ScrubConfig CONFIG = ScrubConfig.defaults().withPeriods(Duration.ofMillis(100), Duration.ofMillis(1000));
  static final long T = 1_000_000;

  static ScrubRecord scrubbed(long lastMs, long lastDeepMs, long firstMs) {
    return ScrubRecord.newBuilder().setPid(1).setLastScrubbedMs(lastMs).setLastDeepScrubbedMs(lastDeepMs)
        .setFirstScrubbedMs(firstMs).setResult("ok").build();
  }

  @Test
  void neverScrubbedCountsFromTheTermStart() {
    ScrubDue d = ScrubDue.of(null, null, null, T, T + 50, CONFIG);
    assertThat(d.dueAt(T + 50)).isFalse();
    assertThat(d.atMs()).isEqualTo(T + 100);
    assertThat(d.deep()).isFalse();
    assertThat(d.rank()).isEqualTo(2);
  }

  @Test
  void lightAfterTheLightPeriodDeepAfterTheDeepPeriod() {
    ScrubRecord r = scrubbed(T, 0, T - 500);
    assertThat(ScrubDue.of(r, null, null, 0, T + 99, CONFIG).dueAt(T + 99)).isFalse();
    ScrubDue light = ScrubDue.of(r, null, null, 0, T + 100, CONFIG);
    assertThat(light.dueAt(T + 100)).isTrue();
    assertThat(light.deep()).isFalse();
    ScrubDue deep = ScrubDue.of(scrubbed(T + 450, 0, T - 500), null, null, 0, T + 600, CONFIG);
    assertThat(deep.dueAt(T + 600)).isTrue();
    assertThat(deep.deep()).as("first scrub + deep period passed").isTrue();
    ScrubDue notDeep = ScrubDue.of(scrubbed(T + 450, T + 400, T - 500), null, null, 0, T + 600, CONFIG);
    assertThat(notDeep.deep()).isFalse();
  }

  @Test
  void anOperatorsRequestIsDueNowButWaitsForARetry() {
    ScrubRecord r = scrubbed(T, T, T);
    ScrubDue forced = ScrubDue.of(r, true, null, 0, T + 1, CONFIG);
    assertThat(forced.dueAt(T + 1)).isTrue();
    assertThat(forced.deep()).isTrue();
    assertThat(forced.rank()).isZero();
    ScrubDue retrying = ScrubDue.of(r, false, new ScrubTable.Retry(T + 30, false, "gen passed"), 0, T + 1, CONFIG);
    assertThat(retrying.dueAt(T + 1)).isFalse();
    assertThat(retrying.dueAt(T + 30)).isTrue();
    assertThat(retrying.rank()).isZero();
  }
}
