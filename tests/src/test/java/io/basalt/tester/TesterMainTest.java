package io.basalt.tester;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** bin/basalt-tester's command line: listing, and clear errors (exit 2) for bad arguments, before any cluster. */
class TesterMainTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return TesterMain.run(new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), args);
  }

  @Test
  void listPrintsEveryCaseAndMarksTheFastOnes() {
    assertThat(run("--list")).isZero();
    String text = out.toString(StandardCharsets.UTF_8);
    assertThat(text.lines()).hasSize(new CaseCatalog().all().size());
    assertThat(text).contains("kill-owner").contains("[fast]").contains("fsync-eio");
  }

  @Test
  void badArgumentsExitWithTwoAndSayWhy() {
    assertThat(run("--cases", "kill-owner,nope")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown case 'nope'");
    assertThat(run("--rounds", "0")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--rounds must be at least 1");
    assertThat(run("--duration", "soon")).isEqualTo(2);
    assertThat(run("--bogus")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("Unknown option: '--bogus'");
  }

  @Test
  void helpNamesTheFlagsOperatorsUse() {
    assertThat(run("--help")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("--rounds", "--duration", "--seed", "--cases",
        "--fast", "--report-every");
  }
}
