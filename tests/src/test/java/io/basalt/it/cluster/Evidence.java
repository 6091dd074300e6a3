package io.basalt.it.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.stream.Stream;

/**
 * Protects the crime scene (TESTPLAN 3.7): copies every node's data directory and log, and writes summary.txt, into
 * one evidence directory. The caller freezes the processes first (SIGSTOP), so files do not change underneath.
 * Immutable RocksDB files (SST, blob) are hard-linked where the file system allows, like a RocksDB Checkpoint;
 * files a process appends to (WAL, MANIFEST, LOG) are always copied, so the evidence cannot change later.
 */
public final class Evidence {
  private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS");

  private Evidence() {}

  /** {@code <repo>/tests/target/fault-evidence/<test>-<timestamp>}. */
  public static Path defaultDir(String testName) {
    Path root = Path.of(System.getProperty("basalt.repo.root", "..")).toAbsolutePath().normalize();
    String safe = testName.replaceAll("[^A-Za-z0-9._-]", "_");
    return root.resolve("tests/target/fault-evidence").resolve(safe + "-" + LocalDateTime.now().format(TS));
  }

  /** What was saved: files hard-linked and copied. */
  public record Saved(Path dir, int linked, int copied) {}

  /**
   * Saves every node's data directory ({@code <node>/data}) and log ({@code <node>.log}), summary.txt, and the
   * partition rules with their counters when the cluster runs in a test network.
   */
  static Saved collect(Path target, String summary, List<ClusterNode> nodes, List<ClusterNode.Death> deaths,
      String nftRuleset) {
    int[] counts = new int[2];
    try {
      Files.createDirectories(target);
      StringBuilder s = new StringBuilder(summary).append("\n\nnodes:\n");
      for (ClusterNode n : nodes) {
        s.append(String.format("  %-8s %-21s pid=%-8d starts=%d %s%n", n.name(), n.address(), n.pid(), n.starts(),
            n.isStopped() ? "stopped (state " + n.procState() + ")" : n.isAlive() ? "running"
                : "exited " + n.exitCode().map(String::valueOf).orElse("?")));
        if (n.dataDir() != null && Files.isDirectory(n.dataDir())) {
          copyTree(n.dataDir(), target.resolve(n.name()).resolve("data"), counts);
        }
        if (Files.exists(n.logFile())) {
          Files.copy(n.logFile(), target.resolve(n.name() + ".log"));
          counts[1]++;
        }
      }
      s.append("\nunexpected deaths: ").append(deaths.isEmpty() ? "none" : "").append('\n');
      deaths.forEach(d -> s.append("  ").append(d).append('\n'));
      Files.writeString(target.resolve("summary.txt"), s, StandardCharsets.UTF_8);
      if (nftRuleset != null) {
        Files.writeString(target.resolve("nft-ruleset.txt"), nftRuleset, StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save evidence to " + target, e);
    }
    return new Saved(target, counts[0], counts[1]);
  }

  private static void copyTree(Path from, Path to, int[] counts) throws IOException {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(from)) {
      files = walk.toList();
    }
    for (Path f : files) {
      Path dest = to.resolve(from.relativize(f).toString());
      try {
        if (Files.isDirectory(f)) {
          Files.createDirectories(dest);
        } else if (immutable(f) && link(dest, f)) {
          counts[0]++;
        } else {
          Files.createDirectories(dest.getParent());
          Files.copy(f, dest);
          counts[1]++;
        }
      } catch (NoSuchFileException gone) {
        // deleted between listing and copying (a process not stopped, e.g. already dead mid-compaction)
      }
    }
  }

  private static boolean immutable(Path f) {
    String name = f.getFileName().toString();
    return name.endsWith(".sst") || name.endsWith(".blob");
  }

  private static boolean link(Path dest, Path existing) throws IOException {
    Files.createDirectories(dest.getParent());
    try {
      Files.createLink(dest, existing);
      return true;
    } catch (FileSystemException | UnsupportedOperationException e) {
      return false; // another file system, or links not supported: copy
    }
  }
}
