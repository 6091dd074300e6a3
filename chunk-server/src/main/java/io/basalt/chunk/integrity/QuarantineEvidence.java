package io.basalt.chunk.integrity;

import com.google.protobuf.TextFormat;
import io.basalt.chunk.store.ReplicaStore;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.QuarantineReport;
import io.basalt.rpc.BasaltException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The evidence of quarantined replicas on one chunk: one directory per quarantine under {@code <data dir>/quarantine/}
 * ({@code pid-<pid>-<epoch ms>}) holding {@code report.txt} (a {@link QuarantineReport} in protobuf text format) and
 * what {@link ReplicaStore#saveEvidence} saved. The report is written last, through a rename, so a directory without
 * one is an interrupted save (listed with reason "incomplete evidence", never hidden). Kept until an operator removes
 * it ({@code basalt quarantine rm}) or {@link #expire} finds it older than the retention.
 *
 * <p>Thread-safe: directories are created with unique names and only ever removed whole.
 */
public final class QuarantineEvidence {
  private static final Logger log = LoggerFactory.getLogger(QuarantineEvidence.class);
  static final String DIR = "quarantine";
  static final String REPORT = "report.txt";

  private final Path root;
  private final ReplicaStore store;

  public QuarantineEvidence(Path dataDir, ReplicaStore store) {
    this.root = dataDir.resolve(DIR);
    this.store = store;
  }

  /** Saves the evidence of {@code report}'s replica and the report; returns the report with its directory. */
  public QuarantineReport save(QuarantineReport report) {
    Path dir = newDir(report.getPid(), report.getQuarantinedAtMs());
    store.saveEvidence(report.getPid(), dir);
    QuarantineReport saved = report.toBuilder().setEvidence(dir.toString()).build();
    try {
      Path tmp = dir.resolve(REPORT + ".tmp");
      Files.writeString(tmp, TextFormat.printer().printToString(saved), StandardCharsets.UTF_8);
      Files.move(tmp, dir.resolve(REPORT), StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new BasaltException(ErrorCode.IO_ERROR, "writing quarantine report of pid=" + report.getPid() + " to "
          + dir + " failed: " + e, false, e);
    }
    return saved;
  }

  /** Every report kept here, oldest first. */
  public List<QuarantineReport> list() {
    List<QuarantineReport> out = new ArrayList<>();
    for (Path dir : dirs()) out.add(read(dir));
    out.sort(Comparator.comparingLong(QuarantineReport::getQuarantinedAtMs)
        .thenComparing(QuarantineReport::getEvidence));
    return out;
  }

  /** Deletes the evidence whose report {@code which} accepts; returns the reports removed. */
  public List<QuarantineReport> remove(Predicate<QuarantineReport> which) {
    List<QuarantineReport> removed = new ArrayList<>();
    for (Path dir : dirs()) {
      QuarantineReport r = read(dir);
      if (!which.test(r)) continue;
      deleteTree(dir);
      removed.add(r);
      log.warn("quarantine evidence removed pid={} cid={} evidence={} reason={}", r.getPid(), r.getCid(), dir,
          r.getReason());
    }
    return removed;
  }

  /** Deletes the evidence quarantined more than {@code retention} before {@code nowMs} (wall clock). */
  public List<QuarantineReport> expire(long nowMs, Duration retention) {
    return remove(r -> r.getQuarantinedAtMs() > 0 && nowMs - r.getQuarantinedAtMs() > retention.toMillis());
  }

  private Path newDir(long pid, long atMs) {
    try {
      Files.createDirectories(root);
      for (int n = 0; ; n++) {
        Path dir = root.resolve("pid-" + pid + "-" + atMs + (n == 0 ? "" : "-" + n));
        if (!Files.exists(dir)) return dir; // saveEvidence creates it
      }
    } catch (IOException e) {
      throw new BasaltException(ErrorCode.IO_ERROR, "cannot create " + root + ": " + e, false, e);
    }
  }

  private List<Path> dirs() {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(root)) return out;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(root, Files::isDirectory)) {
      ds.forEach(out::add);
    } catch (IOException e) {
      throw new BasaltException(ErrorCode.IO_ERROR, "cannot list " + root + ": " + e, false, e);
    }
    return out;
  }

  /** The report in {@code dir}; an interrupted save (no report) is named by its directory. */
  private static QuarantineReport read(Path dir) {
    Path file = dir.resolve(REPORT);
    try {
      if (Files.exists(file)) {
        QuarantineReport.Builder b = QuarantineReport.newBuilder();
        TextFormat.getParser().merge(Files.readString(file, StandardCharsets.UTF_8), b);
        return b.setEvidence(dir.toString()).build();
      }
    } catch (IOException e) {
      log.warn("unreadable quarantine report {}: {}", file, e.toString());
    }
    return QuarantineReport.newBuilder().setPid(pidOf(dir)).setReason("incomplete evidence (no readable report)")
        .setEvidence(dir.toString()).build();
  }

  private static long pidOf(Path dir) {
    String[] parts = dir.getFileName().toString().split("-");
    try {
      return parts.length > 1 ? Long.parseLong(parts[1]) : 0;
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static void deleteTree(Path dir) {
    try {
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.delete(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
          if (e != null) throw e;
          Files.delete(d);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      throw new BasaltException(ErrorCode.IO_ERROR, "deleting " + dir + " failed: " + e, false, e);
    }
  }
}
