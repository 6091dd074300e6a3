package io.basalt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.cli.output.JsonOutput;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The {@code --json} text of every command family, byte for byte, against files recorded from the hand-written
 * writer the CLI used before Jackson (src/test/resources/io/basalt/cli/json-golden): operators' scripts read these
 * keys, their order, number vs string vs null, and the two-space layout.
 */
class JsonGoldenTest {
  /** The recorded output named {@code name}. */
  static String golden(String name) {
    try (InputStream in = JsonGoldenTest.class.getResourceAsStream("/io/basalt/cli/json-golden/" + name + ".json")) {
      assertThat(in).as("golden file " + name).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String pretty(Object value) {
    return JsonOutput.pretty(value);
  }

  @Test
  void sessionLs() {
    assertThat(pretty(JsonSamples.sessionLs())).isEqualTo(golden("session-ls"));
  }

  @Test
  void clusterStatusAndConfirmExpiry() {
    assertThat(pretty(JsonSamples.clusterStatus())).isEqualTo(golden("cluster-status"));
    assertThat(pretty(JsonSamples.clusterStatusWithoutLeader())).isEqualTo(golden("cluster-status-no-leader"));
    assertThat(pretty(JsonSamples.clusterStatusOfDefaults())).isEqualTo(golden("cluster-status-defaults"));
    assertThat(pretty(JsonSamples.confirmExpiry())).isEqualTo(golden("cluster-confirm-expiry"));
  }

  @Test
  void recoveryLsAndThrottle() {
    assertThat(pretty(JsonSamples.recoveryLs())).isEqualTo(golden("recovery-ls"));
    assertThat(pretty(JsonSamples.recoveryLsEmpty())).isEqualTo(golden("recovery-ls-empty"));
    assertThat(pretty(JsonSamples.recoveryThrottle())).isEqualTo(golden("recovery-throttle"));
  }

  @Test
  void volumeCommands() {
    assertThat(pretty(JsonSamples.volumeLs())).isEqualTo(golden("volume-ls"));
    assertThat(pretty(JsonSamples.volumeRm())).isEqualTo(golden("volume-rm"));
  }

  @Test
  void chunkLs() {
    assertThat(pretty(JsonSamples.chunkLs())).isEqualTo(golden("chunk-ls"));
  }

  @Test
  void extentShow() {
    assertThat(pretty(JsonSamples.extentShow())).isEqualTo(golden("extent-show"));
  }

  /** Recorded when {@code quarantine ls|rm} was added (after the move to Jackson). */
  @Test
  void quarantineLs() {
    assertThat(pretty(JsonSamples.quarantineLs())).isEqualTo(golden("quarantine-ls"));
  }
}
