package io.basalt.client.nbd;

import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Runs real NBD clients (qemu-io, nbdinfo, nbdcopy, fio) as processes with a timeout. */
final class ExternalTool {
  record Result(int exitCode, String output) {}

  private ExternalTool() {}

  static boolean available(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, name))) {
        return true;
      }
    }
    return false;
  }

  /** Skips the calling test (visibly) when the tool is not installed. */
  static void assumeInstalled(String name) {
    Assumptions.assumeTrue(available(name), name + " is not installed; skipping");
  }

  static Result run(Duration timeout, List<String> command) throws IOException, InterruptedException {
    Path log = Files.createTempFile("nbd-tool", ".log");
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        fail("%s did not finish within %s; output:%n%s", command, timeout, Files.readString(log));
      }
      return new Result(process.exitValue(), Files.readString(log));
    } finally {
      Files.deleteIfExists(log);
    }
  }

  static Result run(String... command) throws IOException, InterruptedException {
    return run(Duration.ofSeconds(60), List.of(command));
  }
}
