package io.basalt.cli.local;

import io.basalt.cli.core.CliException;
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
  static final String HEADER = "=== basalt local: starting";
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
      Files.writeString(logFile, (Files.exists(logFile) && Files.size(logFile) > 0 ? "\n" : "")
          + HEADER + " at " + Instant.now() + ": " + String.join(" ", command)
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
    return ProcessHandle.of(r.pid()).filter(LocalProcesses::alive).filter(h -> {
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
    while (handles.stream().anyMatch(LocalProcesses::alive) && System.nanoTime() < deadline) {
      sleep(100);
    }
    List<String> killed = new ArrayList<>();
    for (int i = 0; i < handles.size(); i++) {
      if (alive(handles.get(i))) {
        handles.get(i).destroyForcibly();
        killed.add(names.get(i));
      }
    }
    long killDeadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (handles.stream().anyMatch(LocalProcesses::alive) && System.nanoTime() < killDeadline) {
      sleep(50);
    }
    return killed;
  }

  /**
   * Alive and not a zombie. Our processes outlive the CLI that started them, so whoever adopts them reaps them, and
   * some container inits do that only every second or two; {@link ProcessHandle#isAlive} counts a zombie as alive.
   */
  static boolean alive(ProcessHandle h) {
    if (!h.isAlive()) {
      return false;
    }
    try {
      String stat = Files.readString(Path.of("/proc/" + h.pid() + "/stat"));
      int end = stat.lastIndexOf(')');
      return end < 0 || end + 2 >= stat.length() || stat.charAt(end + 2) != 'Z';
    } catch (IOException | RuntimeException e) {
      return h.isAlive(); // no /proc (not Linux) or the process just went away
    }
  }

  /** The size of {@code file}, 0 when missing: where output of a process about to start will begin. */
  public static long size(Path file) {
    try {
      return Files.exists(file) ? Files.size(file) : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  /** Whether a line containing {@code marker} was appended to {@code file} after byte {@code offset}. */
  public static boolean containsSince(Path file, long offset, String marker) {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      long len = f.length();
      if (len <= offset) {
        return false;
      }
      byte[] buf = new byte[(int) Math.min(len - offset, 16 << 20)];
      f.seek(offset);
      f.readFully(buf);
      return new String(buf, StandardCharsets.UTF_8).contains(marker);
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The last {@code lines} lines of {@code file}, from the latest start header on if that is among them (reads at
   * most the last 64 KiB); empty when unreadable.
   */
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
      int first = Math.max(0, all.size() - lines);
      for (int i = all.size() - 1; i > first; i--) {
        if (all.get(i).startsWith(HEADER)) {
          first = i; // only what the latest start wrote
          break;
        }
      }
      return all.subList(first, all.size());
    } catch (IOException e) {
      return List.of();
    }
  }

  /**
   * The interval of a bounded poll on processes this CLI started detached (they are not its children, so no exit or
   * readiness event reaches it, and a zombie only shows in /proc): never used as synchronisation between threads.
   */
  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted");
    }
  }
}
