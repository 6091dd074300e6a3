package io.basalt.it.cluster;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One process of a {@link ProcessCluster}: a fixed role, index, loopback address, port, data directory and log
 * file, and the current incarnation (the OS process of the latest start). Every start appends a header line to the
 * log; readiness and tails only look at what the current incarnation wrote. Control goes through the cluster.
 */
public final class ClusterNode {
  static final String HEADER = "=== ProcessCluster: start #";

  /** A process that exited although the test did not kill it (TESTPLAN I6). */
  public record Death(String node, long pid, int exitCode, Instant at, List<String> logTail) {
    @Override
    public String toString() {
      return node + " (pid " + pid + ") exited with " + exitCode + " at " + at + "; log tail:\n  "
          + String.join("\n  ", logTail);
    }
  }

  /** One start: the OS process, where its output begins in the log, and whether the test ended it. */
  private static final class Run {
    final Process process;
    final long logOffset;
    final long startNanos = System.nanoTime();
    volatile boolean expectedExit;
    volatile boolean stopped;

    Run(Process process, long logOffset) {
      this.process = process;
      this.logOffset = logOffset;
    }
  }

  private final NodeRole role;
  private final int index;
  private final String host;
  private final int port;
  private final Path dataDir;
  private final Path logFile;
  private final List<String> command;
  private final String advertised;
  private volatile Run run;
  private int starts;

  /** {@code advertised}: the address the process registers instead of its own (a proxy in front of it), or null. */
  ClusterNode(NodeRole role, int index, String host, int port, Path dataDir, Path logFile, List<String> command,
      String advertised) {
    this.advertised = advertised;
    this.role = role;
    this.index = index;
    this.host = host;
    this.port = port;
    this.dataDir = dataDir;
    this.logFile = logFile;
    this.command = List.copyOf(command);
  }

  public NodeRole role() {
    return role;
  }

  public int index() {
    return index;
  }

  /** "chunk-0", "meta-1", ... */
  public String name() {
    return role.shortName() + "-" + index;
  }

  /** Its own address: e.g. 127.0.0.31 for chunk 1 on loopback, 10.213.n.31 in a test network. */
  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  /** {@code host:port} it listens on (see {@link #advertisedAddress} for what it registers). */
  public String address() {
    return host() + ":" + port;
  }

  /** The address peers and clients use: its proxy's when the cluster put one in front of it, else {@link #address}. */
  public String advertisedAddress() {
    return advertised != null ? advertised : address();
  }

  /** Its data directory; null for roles without one (meta, NBD). */
  public Path dataDir() {
    return dataDir;
  }

  /** Its stdout and stderr, appended across restarts. */
  public Path logFile() {
    return logFile;
  }

  public List<String> command() {
    return command;
  }

  /** Pid of the current incarnation, -1 before the first start. */
  public long pid() {
    Run r = run;
    return r == null ? -1 : r.process.pid();
  }

  /** How often it was started. */
  public synchronized int starts() {
    return starts;
  }

  public boolean isAlive() {
    Run r = run;
    return r != null && r.process.isAlive();
  }

  /** Alive and SIGSTOPped by the test (not yet continued). */
  public boolean isStopped() {
    Run r = run;
    return r != null && r.stopped && r.process.isAlive();
  }

  /** Exit code of the current incarnation once it exited. */
  public Optional<Integer> exitCode() {
    Run r = run;
    return r == null || r.process.isAlive() ? Optional.empty() : Optional.of(r.process.exitValue());
  }

  /** Milliseconds since the current incarnation was started. */
  public long millisSinceStart() {
    Run r = run;
    return r == null ? -1 : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - r.startNanos);
  }

  /** The first line with the role's ready marker the current incarnation printed, if any yet. */
  public Optional<String> readyLine() {
    return sinceStart().lines().filter(l -> l.contains(role.readyMarker())).findFirst();
  }

  /** The last {@code lines} lines the current incarnation wrote. */
  public List<String> logTail(int lines) {
    return tail(run, lines);
  }

  private List<String> tail(Run r, int lines) {
    List<String> all = sinceStart(r).lines().toList();
    return List.copyOf(all.subList(Math.max(0, all.size() - lines), all.size()));
  }

  private String sinceStart() {
    return sinceStart(run);
  }

  private String sinceStart(Run r) {
    if (r == null) {
      return "";
    }
    try (RandomAccessFile f = new RandomAccessFile(logFile.toFile(), "r")) {
      long from = Math.max(r.logOffset, f.length() - (8 << 20));
      byte[] buf = new byte[(int) Math.max(0, f.length() - from)];
      f.seek(from);
      f.readFully(buf);
      return new String(buf, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  /** Starts a new incarnation; {@code onUnexpectedExit} hears of it if it exits without {@link #markKilled}. */
  synchronized void start(Consumer<Death> onUnexpectedExit) {
    if (isAlive()) {
      throw new IllegalStateException(name() + " is running (pid " + pid() + ")");
    }
    try {
      if (dataDir != null) {
        Files.createDirectories(dataDir);
      }
      Files.createDirectories(logFile.getParent());
      starts++;
      Files.writeString(logFile, HEADER + starts + " of " + name() + " at " + Instant.now() + ": "
          + String.join(" ", command) + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
      long offset = Files.size(logFile);
      Process p = new ProcessBuilder(command).directory(logFile.getParent().toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
      Run r = new Run(p, offset);
      run = r;
      p.onExit().thenRun(() -> {
        if (!r.expectedExit) {
          onUnexpectedExit.accept(new Death(name(), p.pid(), p.exitValue(), Instant.now(), tail(r, 40)));
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name(), e);
    }
  }

  /** Records that the test ends the current incarnation, so its exit is not an unexpected death. */
  void markKilled() {
    Run r = run;
    if (r != null) {
      r.expectedExit = true;
    }
  }

  void markStopped(boolean stopped) {
    Run r = run;
    if (r != null) {
      r.stopped = stopped;
    }
  }

  /** Waits for the current incarnation to exit; false on timeout. */
  boolean awaitExit(long millis) throws InterruptedException {
    Run r = run;
    return r == null || r.process.waitFor(millis, TimeUnit.MILLISECONDS);
  }

  /** SIGKILL through the JDK, the last resort of cleanup. */
  void destroyForcibly() {
    Run r = run;
    if (r != null) {
      r.expectedExit = true;
      r.process.destroyForcibly();
    }
  }

  /** The scheduler state letter of the process in /proc (R, S, T, ...), '?' when not readable. */
  public char procState() {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid() + "/stat"));
      int end = stat.lastIndexOf(')');
      return end > 0 && end + 2 < stat.length() ? stat.charAt(end + 2) : '?';
    } catch (IOException | RuntimeException e) {
      return '?';
    }
  }

  @Override
  public String toString() {
    return name() + "@" + address() + "[pid " + pid() + (isStopped() ? ", stopped" : isAlive() ? "" : ", dead")
        + "]";
  }
}
