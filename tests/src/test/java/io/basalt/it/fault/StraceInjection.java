package io.basalt.it.fault;

import static org.awaitility.Awaitility.await;

import io.basalt.it.cluster.ExternalTools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Fails one system call in a running process with strace's fault injection (TESTPLAN F17: {@code strace -e
 * inject=fdatasync:error=EIO}): attached to every thread of the process ({@code -f -p}), every call of the syscall
 * returns the error instead of running, until {@link #close} detaches. Skips the test visibly (JUnit assumption) when
 * strace is missing or may not attach (no ptrace permission). Attached without seccomp filtering (strace cannot add
 * one to a running process), so every system call of the process stops in strace: it runs slower while attached.
 */
public final class StraceInjection implements AutoCloseable {
  private final Process strace;
  private final Path trace;
  private final Path log;

  private StraceInjection(Process strace, Path trace, Path log) {
    this.strace = strace;
    this.trace = trace;
    this.log = log;
  }

  /** Attaches to {@code pid} and fails every call of {@code syscalls} (comma separated) with {@code errno}. */
  public static StraceInjection attach(long pid, String syscalls, String errno, Path workDir) throws IOException {
    Assumptions.assumeTrue(ExternalTools.installed("strace"), "strace is not installed: test skipped");
    Path trace = workDir.resolve("strace-" + pid + ".trace");
    Path log = workDir.resolve("strace-" + pid + ".log");
    Process p = new ProcessBuilder("strace", "-f", "-p", Long.toString(pid), "-e", "trace=" + syscalls,
        "-e", "inject=" + syscalls + ":error=" + errno, "-o", trace.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    StraceInjection s = new StraceInjection(p, trace, log);
    try {
      // strace says "Process N attached" per thread on its stderr; it exits at once when it may not trace
      await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
          .until(() -> !p.isAlive() || s.output().contains("attached"));
    } catch (RuntimeException e) {
      s.close();
      throw e;
    }
    if (!p.isAlive()) {
      String out = s.output().trim();
      Assumptions.assumeTrue(false, "strace cannot attach to pid " + pid + ": test skipped (" + out + ")");
    }
    return s;
  }

  /** Calls failed so far (lines strace marked INJECTED). */
  public long injected() {
    try {
      if (!Files.exists(trace)) return 0;
      return Files.readAllLines(trace, StandardCharsets.UTF_8).stream().filter(l -> l.contains("(INJECTED)")).count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Detaches (SIGTERM: strace restores the threads and exits). */
  @Override
  public void close() {
    strace.destroy();
    try {
      if (!strace.waitFor(10, TimeUnit.SECONDS)) strace.destroyForcibly().waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private String output() throws IOException {
    return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
  }

  @Override
  public String toString() {
    return "strace " + List.of(strace.info().arguments().orElse(new String[0]));
  }
}
