package io.basalt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.cli.output.JsonOutput;
import io.basalt.proto.ScrubInfo;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code scrub ls} output without a cluster: the JSON keys scripts read (golden file) and the table. */
class ScrubFormatTest {
  static final long T0 = 1_764_000_000_000L; // 2025-11-24T16:00:00Z

  static List<ScrubInfo> sample() {
    return List.of(
        ScrubInfo.newBuilder().setVolume("db").setIndex(0).setPid(7).setVid(1).setLastScrubbedMs(T0)
            .setLastDeepScrubbedMs(T0).setResult("ok").setDeep(true).setLastResult("ok").build(),
        ScrubInfo.newBuilder().setVolume("db").setIndex(1).setPid(8).setVid(1).setLastScrubbedMs(T0 + 1_250)
            .setResult("mismatch").setSuspect(true).setLastResult("mismatch")
            .setDetail("no majority at gen=88 hashes 1:aa,2:bb: nothing removed").build(),
        ScrubInfo.newBuilder().setVolume("db").setIndex(2).setPid(9).setVid(1).setResult("running").build(),
        ScrubInfo.newBuilder().setVolume("logs").setIndex(0).setPid(12).setVid(2).setResult("pending").build());
  }

  @Test
  void lsJsonMatchesTheGoldenFile() {
    assertThat(JsonOutput.pretty(sample().stream().map(ScrubCommand::toJson).toList()))
        .isEqualTo(JsonGoldenTest.golden("scrub-ls"));
  }

  @Test
  void lsTable() {
    assertThat(ScrubCommand.table(sample())).isEqualTo("""
        VOLUME  INDEX  PID  LAST SCRUBBED         RESULT    DEEP  SUSPECT  DETAIL
        db      0      7    2025-11-24T16:00:00Z  ok        yes   -        -
        db      1      8    2025-11-24T16:00:01Z  mismatch  -     SUSPECT  no majority at gen=88 hashes 1:aa,2:b...
        db      2      9    -                     running   -     -        -
        logs    0      12   -                     pending   -     -        -
        """);
  }

  @Test
  void suspectWarningNamesTheExtent() {
    assertThat(ScrubCommand.warning(sample().get(1))).isEqualTo("warning: extent db/1 (pid 8) is SUSPECT: its "
        + "replicas disagree with no majority; nothing was removed and writes go on (no majority at gen=88 hashes "
        + "1:aa,2:bb: nothing removed)");
  }
}
