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
import java.net.InetAddress;
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
 * process (a 3-member ZooKeeper ensemble and 3 meta servers by default), prints the NBD URI last, serves a replicated
 * volume, keeps serving with a ZooKeeper member and a meta server killed, restarts them when run again, and
 * {@code local down} stops everything; {@code --zk 1 --metas 1} runs the small topology. Ports are shifted with
 * --base-port so a developer's own local cluster is left alone.
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
    int[] ports = {2181, 2182, 2183, 2888, 2889, 2890, 3888, 3889, 3890, 7000, 7001, 7002, 7101, 7102, 7103, 10809,
        9100, 9101, 9102, 9103, 9182, 9183, 9190};
    for (int offset = 11000; offset < 21000; offset += 97) {
      boolean free = true;
      for (int p : ports) {
        try (ServerSocket s = new ServerSocket(p + offset, 1, InetAddress.getByName("127.0.0.1"))) {
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
      assertThat(status).hasSize(10);
      for (Value p : status) {
        assertThat(p.getStructValue().getFieldsMap()).containsOnlyKeys("role", "index", "pid", "cid", "address",
            "state", "member_state", "meta_epoch", "keepalive_interval_ms", "session_timeout_ms");
        assertThat(p.getStructValue().getFieldsOrThrow("state").getStringValue()).isEqualTo("running");
      }
      // every ZooKeeper server and meta server says its part in the election: one leader of each
      assertThat(status).filteredOn(p -> List.of("zookeeper", "meta").contains(role(p)))
          .extracting(p -> role(p) + ":" + p.getStructValue().getFieldsOrThrow("member_state").getStringValue())
          .containsOnly("zookeeper:leader", "zookeeper:follower", "meta:leader", "meta:follower")
          .containsOnlyOnce("zookeeper:leader", "meta:leader");
      assertThat(basalt("local", "status", "--dir", d).assertOk().output()).containsPattern(
          "meta leader: 127\\.0\\.0\\.1:\\d+, meta epoch [1-9]");
      assertThat(status).extracting(LocalUpIT::roleAndIndex).containsExactly("zookeeper-1", "zookeeper-2",
          "zookeeper-3", "meta-1", "meta-2", "meta-3", "chunk-1", "chunk-2", "chunk-3", "nbd-0");
      String connect = "127.0.0.1:" + (2181 + offset) + ",127.0.0.1:" + (2182 + offset) + ",127.0.0.1:"
          + (2183 + offset);
      assertThat(Files.readString(dir.resolve("local/cluster.json"))).contains("\"zk\": \"" + connect + "\"");

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

      // a ZooKeeper member and a meta server die: the volume keeps serving
      long zk2 = pid(status, "zookeeper-2");
      long meta3 = pid(status, "meta-3");
      run(Duration.ofSeconds(10), "kill", "-9", Long.toString(zk2), Long.toString(meta3)).assertOk();
      run(CLI_TIMEOUT, "qemu-io", "-f", "raw", uri, "-c", "write -P 0x3e 600M 64k", "-c", "read -P 0x3c 0 2M")
          .assertOk();

      // running it again restarts just those two and keeps serving the same data
      ExternalTools.Result again = basalt("local", "up", "--dir", d, "--base-port", String.valueOf(offset))
          .assertOk();
      assertThat(again.output()).contains("starting zookeeper-2 (127.0.0.1:" + (2182 + offset) + ")... started")
          .contains("starting meta-3 (127.0.0.1:" + (7002 + offset) + ")... started")
          .contains("meta-1 already running").doesNotContain("starting chunk");
      assertThat(again.output().trim()).endsWith(uri);
      run(CLI_TIMEOUT, "qemu-io", "-f", "raw", uri, "-c", "read -P 0x3c 0 2M", "-c", "read -P 0x3e 600M 64k")
          .assertOk();
      assertThat(jsonArray(basalt("local", "status", "--dir", d, "--json").assertOk().output()))
          .allSatisfy(p -> assertThat(p.getStructValue().getFieldsOrThrow("state").getStringValue())
              .isEqualTo("running"));

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

  /** {@code --zk 1 --metas 1}: one standalone ZooKeeper and one meta server, named as before ensembles. */
  @Test
  void oneZooKeeperAndOneMetaOnRequest() throws Exception {
    assumeInstalled("qemu-io");
    assumeInstalled("setsid");
    int offset = freeBaseOffset();
    String d = dir.resolve("small").toString();
    try {
      ExternalTools.Result up = basalt("local", "up", "--dir", d, "--base-port", String.valueOf(offset), "--zk", "1",
          "--metas", "1", "--chunks", "3").assertOk();
      assertThat(up.output()).contains("starting zookeeper (127.0.0.1:" + (2181 + offset) + ")... ready")
          .contains("starting meta (127.0.0.1:" + (7000 + offset) + ")... ready");
      String uri = "nbd://127.0.0.1:" + (10809 + offset) + "/demo";
      assertThat(up.output().trim()).endsWith(uri);
      List<Value> status = jsonArray(basalt("local", "status", "--dir", d, "--json").assertOk().output());
      assertThat(status).extracting(LocalUpIT::roleAndIndex).containsExactly("zookeeper-0", "meta-0", "chunk-1",
          "chunk-2", "chunk-3", "nbd-0");
      run(CLI_TIMEOUT, "qemu-io", "-f", "raw", uri, "-c", "write -P 0x5c 0 1M", "-c", "read -P 0x5c 0 1M")
          .assertOk();
      // the directory keeps its topology
      ExternalTools.Result more = basalt("local", "up", "--dir", d, "--zk", "3");
      assertThat(more.exitCode()).isEqualTo(1);
      assertThat(more.output()).contains("has 1 ZooKeeper server; 'local up' does not change that");
    } finally {
      basalt("local", "down", "--dir", d);
    }
  }

  private static String role(Value p) {
    return p.getStructValue().getFieldsMap().get("role").getStringValue();
  }

  private static String roleAndIndex(Value p) {
    var f = p.getStructValue().getFieldsMap();
    return f.get("role").getStringValue() + "-" + (int) f.get("index").getNumberValue();
  }

  private static long pid(List<Value> status, String name) {
    return (long) status.stream().filter(p -> roleAndIndex(p).equals(name)).findFirst().orElseThrow()
        .getStructValue().getFieldsOrThrow("pid").getNumberValue();
  }
}
