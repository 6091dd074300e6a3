package io.basalt.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Runs real client tools (qemu-io, nbdcopy, nbdinfo, fio) with a timeout, skipping visibly when one is missing. */
public final class ExternalTools {
  private ExternalTools() {}

  /** What a finished tool printed and returned. */
  public record Result(int exitCode, String output) {
    public Result assertOk() {
      assertThat(exitCode).as("exit code; output:%n%s", output).isZero();
      return this;
    }
  }

  public static boolean installed(String tool) {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String d : path.split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(d, tool))) {
        return true;
      }
    }
    return false;
  }

  /** Skips the calling test when {@code tool} is not installed (.ci/run installs every tool as root). */
  public static void assumeInstalled(String tool) {
    Assumptions.assumeTrue(installed(tool), tool + " is not installed: test skipped (install qemu-utils, libnbd-bin, fio)");
  }

  public static Result run(Duration timeout, List<String> command) {
    try {
      Path out = Files.createTempFile("basalt-tool", ".out");
      try {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          p.destroyForcibly().waitFor();
          throw new AssertionError(command.get(0) + " did not finish within " + timeout + ": "
              + Files.readString(out, StandardCharsets.UTF_8));
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  public static Result run(Duration timeout, String... command) {
    return run(timeout, List.of(command));
  }
}
