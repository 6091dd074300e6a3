package io.basalt.it.net;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the few root tools the test network needs ({@code ip}, {@code nft}) and fails loudly with their output. */
final class Shell {
  private Shell() {}

  /** The result of one command: exit code and combined output. */
  record Result(int exitCode, String output) {
    boolean ok() {
      return exitCode == 0;
    }
  }

  /** Runs {@code command}; throws with the command and its output when it exits non-zero. */
  static String run(List<String> command) {
    Result r = tryRun(command);
    if (!r.ok()) {
      throw new IllegalStateException(String.join(" ", command) + " exited " + r.exitCode() + ": "
          + r.output().strip());
    }
    return r.output();
  }

  static String run(String... command) {
    return run(List.of(command));
  }

  /** Runs {@code command}; exit code 127 and the reason when it cannot be started at all. */
  static Result tryRun(List<String> command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getOutputStream().close();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Result(124, "timed out after 30 s");
      }
      return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    } catch (IOException e) {
      return new Result(127, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(130, "interrupted");
    }
  }

  static Result tryRun(String... command) {
    return tryRun(List.of(command));
  }
}
