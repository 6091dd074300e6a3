package io.basalt.cli.local;

import io.basalt.cli.CliException;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Starts, recognises and stops the OS processes of a local cluster. Processes are started detached (their own
 * session through {@code setsid} where it exists, stdin from /dev/null, stdout and stderr appended to their log
 * file) so they outlive the CLI and ignore the terminal's Ctrl-C and hang-up.
 */
public final class LocalProcesses {
  private static final Path[] SETSID = {Path.of("/usr/bin/setsid"), Path.of("/bin/setsid")};

  private LocalProcesses() {}

  /** Starts {@code command} detached in {@code workDir}, appending its output to {@code logFile}; returns the pid. */
  public static long start(List<String> command, Path workDir, Path logFile) {
    List<String> cmd = new ArrayList<>();
    Arrays.stream(SETSID).filter(Files::isExecutable).findFirst().ifPresent(p -> cmd.add(p.toString()));
    cmd.addAll(command);
    try {
      Files.createDirectories(workDir);
      Files.createDirectories(logFile.getParent());
      Files.writeString(logFile, "\n=== basalt local: starting at " + Instant.now() + ": " + String.join(" ", command)
          + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      ProcessBuilder pb = new ProcessBuilder(cmd)
          .directory(workDir.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
      return pb.start().pid();
    } catch (IOException e) {
      throw new CliException("cannot start " + String.join(" ", command) + ": " + e.getMessage(), e);
    }
  }

  /**
   * Whether the process {@code r} recorded is alive and still the one we started: a live pid whose command line
   * names the role's main class and the process's data directory or address (pids are reused after a reboot).
   */
  public static boolean isRunning(ProcessRecord r) {
    return handle(r).isPresent();
  }

  static Optional<ProcessHandle> handle(ProcessRecord r) {
    if (r.pid() <= 0) {
      return Optional.empty();
    }
    return ProcessHandle.of(r.pid()).filter(ProcessHandle::isAlive).filter(h -> {
      Optional<String> cl = h.info().commandLine();
      if (cl.isEmpty()) {
        return true; // not readable here: trust the pid
      }
      String token = r.dataDir() != null ? r.dataDir() : r.address();
      String line = cl.get();
      return line.contains(r.role().mainClass()) && (line.contains(token + " ") || line.endsWith(token));
    });
  }

  /** When the process started, if the OS says. */
  public static Optional<Instant> startTime(ProcessRecord r) {
    return handle(r).flatMap(h -> h.info().startInstant());
  }

  /**
   * Stops {@code records}: SIGTERM to each running one, up to {@code grace} for all to exit, then SIGKILL.
   * Returns the names of those that had to be killed.
   */
  public static List<String> stop(List<ProcessRecord> records, Duration grace) {
    List<ProcessHandle> handles = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (ProcessRecord r : records) {
      handle(r).ifPresent(h -> {
        h.destroy();
        handles.add(h);
        names.add(r.name());
      });
    }
    long deadline = System.nanoTime() + grace.toNanos();
    while (handles.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
      sleep(100);
    }
    List<String> killed = new ArrayList<>();
    for (int i = 0; i < handles.size(); i++) {
      if (handles.get(i).isAlive()) {
        handles.get(i).destroyForcibly();
        killed.add(names.get(i));
      }
    }
    long killDeadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (handles.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < killDeadline) {
      sleep(50);
    }
    return killed;
  }

  /** The last {@code lines} lines of {@code file} (reads at most the last 64 KiB), or empty when unreadable. */
  public static List<String> tail(Path file, int lines) {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      long len = f.length();
      long from = Math.max(0, len - 65536);
      byte[] buf = new byte[(int) (len - from)];
      f.seek(from);
      f.readFully(buf);
      List<String> all = new String(buf, StandardCharsets.UTF_8).lines().toList();
      if (from > 0 && !all.isEmpty()) {
        all = all.subList(1, all.size()); // first line is probably cut
      }
      return all.subList(Math.max(0, all.size() - lines), all.size());
    } catch (IOException e) {
      return List.of();
    }
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted");
    }
  }
}
