package io.basalt.it;

import static io.basalt.it.cluster.ExternalTools.assumeInstalled;
import static io.basalt.it.cluster.ExternalTools.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import io.basalt.it.cluster.ExternalTools;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command as an operator runs it: {@code bin/basalt local up} starts every role as its own
 * process, prints the NBD URI last, serves a replicated volume, is harmless when run twice, and {@code local down}
 * stops everything. Ports are shifted with --base-port so a developer's own local cluster is left alone.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class LocalUpIT {
  private static final Duration CLI_TIMEOUT = Duration.ofMinutes(3);

  @TempDir
  Path dir;

  private static Path repoRoot() {
    return Path.of(System.getProperty("basalt.repo.root", "..")).toAbsolutePath().normalize();
  }

  private ExternalTools.Result basalt(String... args) {
    List<String> cmd = new ArrayList<>(List.of(repoRoot().resolve("bin/basalt").toString()));
    cmd.addAll(List.of(args));
    return run(CLI_TIMEOUT, cmd);
  }

  /** An offset under the ephemeral port range at which every port local up uses is free. */
  private static int freeBaseOffset() {
    int[] ports = {2181, 7000, 7101, 7102, 7103, 10809, 9100, 9101, 9102, 9103, 9190};
    for (int offset = 11000; offset < 21000; offset += 97) {
      boolean free = true;
      for (int p : ports) {
        try (ServerSocket s = new ServerSocket(p + offset, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
          s.setReuseAddress(true);
        } catch (IOException e) {
          free = false;
          break;
        }
      }
      if (free) {
        return offset;
      }
    }
    throw new AssertionError("no free port range for local up");
  }

  private static List<Value> jsonArray(String text) throws Exception {
    Struct.Builder b = Struct.newBuilder();
    JsonFormat.parser().merge("{\"a\":" + text.trim() + "}", b);
    ListValue list = b.getFieldsOrThrow("a").getListValue();
    return list.getValuesList();
  }

  @Test
  void localUpServesAReplicatedVolumeAndLocalDownStopsIt() throws Exception {
    assumeInstalled("qemu-io");
    assumeInstalled("setsid");
    Path jar = repoRoot().resolve("deploy/target/basalt.jar");
    assertThat(jar).as("the distribution is built before the tests module").exists();
    int offset = freeBaseOffset();
    String d = dir.resolve("local").toString();
    try {
      ExternalTools.Result up = basalt("local", "up", "--dir", d, "--base-port", String.valueOf(offset)).assertOk();
      String[] lines = up.output().trim().split("\n");
      String uri = "nbd://127.0.0.1:" + (10809 + offset) + "/demo";
      assertThat(lines[lines.length - 1].trim()).isEqualTo(uri);

      run(CLI_TIMEOUT, "qemu-io", "-f", "raw", uri, "-c", "write -P 0x3c 0 2M", "-c", "write -P 0x3d 300M 64k",
          "-c", "flush").assertOk();
      ExternalTools.Result read = run(CLI_TIMEOUT, "qemu-io", "-f", "raw", uri, "-c", "read -P 0x3c 0 2M",
          "-c", "read -P 0x3d 300M 64k", "-c", "read -P 0 512M 1M").assertOk();
      assertThat(read.output()).doesNotContain("Pattern verification failed");

      List<Value> status = jsonArray(basalt("local", "status", "--dir", d, "--json").assertOk().output());
      assertThat(status).hasSize(6);
      for (Value p : status) {
        assertThat(p.getStructValue().getFieldsMap()).containsOnlyKeys("role", "index", "pid", "cid", "address",
            "state", "keepalive_interval_ms", "session_timeout_ms");
        assertThat(p.getStructValue().getFieldsOrThrow("state").getStringValue()).isEqualTo("running");
      }

      List<Value> extents = jsonArray(basalt("extent", "show", "demo", "--dir", d, "--json").assertOk().output());
      assertThat(extents).hasSize(2); // extents 0 and 1 (300M with 256M extents) were written
      for (Value e : extents) {
        var fields = e.getStructValue().getFieldsMap();
        assertThat(fields.get("replicas").getListValue().getValuesCount()).isEqualTo(3);
        var gens = fields.get("generations").getStructValue().getFieldsMap().values().stream()
            .map(Value::getNumberValue).distinct().toList();
        assertThat(gens).as("one generation on every replica").hasSize(1);
        assertThat(gens.get(0)).isPositive();
      }

      // running it twice is harmless and keeps serving the same data
      ExternalTools.Result again = basalt("local", "up", "--dir", d, "--base-port", String.valueOf(offset))
          .assertOk();
      assertThat(again.output().trim()).endsWith(uri);
      run(CLI_TIMEOUT, "qemu-io", "-f", "raw", uri, "-c", "read -P 0x3c 0 2M").assertOk();

      ExternalTools.Result bad = basalt("volume", "create", "x", "--size", "ten", "--dir", d);
      assertThat(bad.exitCode()).isEqualTo(2);
      assertThat(bad.output()).contains("bad size");
    } finally {
      basalt("local", "down", "--dir", d);
    }
    List<Value> after = jsonArray(basalt("local", "status", "--dir", d, "--json").assertOk().output());
    assertThat(after).allSatisfy(p ->
        assertThat(p.getStructValue().getFieldsOrThrow("state").getStringValue()).isNotEqualTo("running"));
    assertThat(Files.exists(dir.resolve("local/chunk-1"))).as("data is kept").isTrue();
  }
}
