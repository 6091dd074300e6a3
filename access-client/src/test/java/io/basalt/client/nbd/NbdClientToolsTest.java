package io.basalt.client.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.client.nbd.ExternalTool.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real NBD clients against the server: libnbd's nbdinfo and nbdcopy, qemu-io and fio. Each test is skipped
 * (visibly) when its tool is not installed; CI installs them.
 */
@ExtendWith(NoLeaksExtension.class)
class NbdClientToolsTest {
  private static final int SIZE = 64 << 20;
  private static final int COPY_SIZE = 8 << 20;
  private final MemoryVolume volume = new MemoryVolume("vol", SIZE);
  private final MemoryVolume copyTarget = new MemoryVolume("copy", COPY_SIZE);
  private NbdTestServer server;

  @BeforeEach
  void start() {
    server = new NbdTestServer().add(volume).add(copyTarget).start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void nbdinfoShowsSizeBlockSizesAndFlags() throws Exception {
    ExternalTool.assumeInstalled("nbdinfo");
    Result result = ExternalTool.run("nbdinfo", "--json", server.uri("vol"));

    assertThat(result.exitCode()).as(result.output()).isZero();
    assertThat(jsonNumber(result.output(), "export-size")).isEqualTo(SIZE);
    assertThat(jsonNumber(result.output(), "block_size_minimum")).isEqualTo(512);
    assertThat(jsonNumber(result.output(), "block_size_preferred")).isEqualTo(4096);
    assertThat(jsonNumber(result.output(), "block_size_maximum")).isEqualTo(32 << 20);
    assertThat(result.output()).containsPattern("\"can_multi_conn\": *true").containsPattern("\"can_fua\": *true")
        .containsPattern("\"can_trim\": *true").containsPattern("\"can_zero\": *true")
        .containsPattern("\"is_read_only\": *false");
  }

  @Test
  void nbdinfoListsExports() throws Exception {
    ExternalTool.assumeInstalled("nbdinfo");
    Result result = ExternalTool.run("nbdinfo", "--list", "nbd://127.0.0.1:" + server.port());

    assertThat(result.exitCode()).as(result.output()).isZero();
    assertThat(result.output()).contains("export=\"vol\"", "export=\"copy\"");
  }

  @Test
  void qemuIoWritesReadsZeroesDiscardsAndFlushes() throws Exception {
    ExternalTool.assumeInstalled("qemu-io");
    Result result = ExternalTool.run(Duration.ofSeconds(60), List.of("qemu-io", "-f", "raw", server.uri("vol"),
        "-c", "write -P 0xab 4096 65536",
        "-c", "read -P 0xab 4096 65536",
        "-c", "write -f -P 0xcd 1048576 131072",
        "-c", "read -P 0xcd 1048576 131072",
        "-c", "write -z 8192 4096",
        "-c", "read -P 0 8192 4096",
        "-c", "read -P 0xab 4096 4096",
        "-c", "discard 1048576 65536",
        "-c", "read -P 0xcd 1114112 65536",
        "-c", "flush"));

    assertThat(result.exitCode()).as(result.output()).isZero();
    assertThat(result.output()).doesNotContain("Pattern verification failed", "error", "failed");
    assertThat(volume.fuaWrites.get()).as("write -f sets FUA").isPositive();
    assertThat(volume.zeroWrites.get()).isPositive();
    assertThat(volume.trims.get()).isPositive();
    assertThat(volume.flushes.get()).isPositive();
    assertThat(volume.snapshot(4096, 4096)).containsOnly((byte) 0xab);
  }

  @Test
  void nbdcopyRoundTripsAFile(@TempDir Path dir) throws Exception {
    ExternalTool.assumeInstalled("nbdcopy");
    byte[] content = new byte[COPY_SIZE];
    new Random(42).nextBytes(content);
    Path source = Files.write(dir.resolve("source.img"), content);
    Path back = dir.resolve("back.img");

    Result in = ExternalTool.run("nbdcopy", "--flush", source.toString(), server.uri("copy"));
    assertThat(in.exitCode()).as(in.output()).isZero();
    Result out = ExternalTool.run("nbdcopy", server.uri("copy"), back.toString());
    assertThat(out.exitCode()).as(out.output()).isZero();

    assertThat(copyTarget.snapshot(0, COPY_SIZE)).isEqualTo(content);
    assertThat(Files.mismatch(source, back)).isEqualTo(-1L);
  }

  @Test
  void fioVerifiesPipelinedRandomWrites() throws Exception {
    ExternalTool.assumeInstalled("fio");
    Result engines = ExternalTool.run("fio", "--enghelp");
    Assumptions.assumeTrue(engines.output().contains("nbd"), "fio has no nbd engine");
    Result result = ExternalTool.run(Duration.ofSeconds(120), List.of("fio", "--name=nbd", "--ioengine=nbd",
        "--uri=" + server.uri("vol"), "--rw=randwrite", "--bs=4k", "--size=16m", "--iodepth=32",
        "--verify=crc32c", "--do_verify=1", "--verify_fatal=1", "--numjobs=1", "--output-format=normal",
        // no verify state file in the module directory (it dirtied the checkout after every run)
        "--verify_state_save=0"));

    assertThat(result.exitCode()).as(result.output()).isZero();
    assertThat(result.output()).doesNotContain("verify: bad", "error=");
  }

  private static long jsonNumber(String json, String key) {
    Matcher matcher = Pattern.compile("\"" + Pattern.quote(key) + "\"\\s*:\\s*(\\d+)").matcher(json);
    assertThat(matcher.find()).as("%s in %s", key, json).isTrue();
    return Long.parseLong(matcher.group(1));
  }
}
