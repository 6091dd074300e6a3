package io.basalt.cli.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.cli.BasaltCli;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The state file and {@code local status --json}, byte for byte, against files recorded from the hand-written
 * writer the CLI used before Jackson (src/test/resources/io/basalt/cli/json-golden).
 */
class LocalJsonGoldenTest {
  @TempDir
  Path tmp;

  static String golden(String name) {
    try (InputStream in = LocalJsonGoldenTest.class.getResourceAsStream("/io/basalt/cli/json-golden/" + name
        + ".json")) {
      assertThat(in).as("golden file " + name).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void stateFile() throws IOException {
    assertThat(ClusterStateFile.format(LocalJsonSamples.withFlags())).isEqualTo(golden("state-file-flags"));
    assertThat(ClusterStateFile.format(LocalJsonSamples.withDefaults())).isEqualTo(golden("state-file-defaults"));
    ClusterStateFile.write(tmp, LocalJsonSamples.withFlags());
    assertThat(Files.readString(ClusterStateFile.path(tmp))).isEqualTo(golden("state-file-flags") + "\n");
    assertThat(ClusterStateFile.read(tmp)).contains(LocalJsonSamples.withFlags());
  }

  @Test
  void localStatus() {
    ClusterStateFile.write(tmp, LocalJsonSamples.withFlags());
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int rc = BasaltCli.run(new PrintWriter(out), new PrintWriter(err), "local", "status", "--dir", tmp.toString(),
        "--json");
    assertThat(rc).as(err.toString()).isZero();
    assertThat(out.toString()).isEqualTo(golden("local-status"));
  }
}
