package io.basalt.it.check;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Append-only history of the stresser's operations (TESTPLAN 3.2): every op with its invoke and completion time
 * (one clock: this JVM's {@link System#nanoTime}) and outcome, reads with what they saw per block. Every op is also
 * appended as one line to a file, the evidence for offline checking; memory is bounded: only the first
 * {@code memoryCap} ops are kept in memory (enough to replay a CI-sized run exactly), after which
 * {@link #truncated()} says the in-memory list is incomplete and only the file has everything.
 *
 * <p>Thread-safe: appends from any worker thread are serialised.
 */
public final class OpHistory implements AutoCloseable {
  public enum Kind { WRITE, READ, FLUSH }

  /** OK, or ERR / TIMEOUT: both in doubt for a write (it may or may not have taken effect). */
  public enum Outcome { OK, ERR, TIMEOUT }

  /**
   * One completed operation. {@code actor} is the writer id (writes, flushes) or the reader id (reads); writes
   * cover blocks {@code [lba, lba + blocks)} all stamped with {@code seq}; reads list the decoded block per LBA in
   * {@code seen} (empty unless the read succeeded). {@code fua}: a write sent with FUA, durable on its own once acked
   * (what a power cut may not lose, see {@link PowerCut}).
   */
  public record Op(long opId, int actor, Kind kind, long lba, int blocks, long seq, long invokeNanos,
      long completeNanos, Outcome outcome, List<BlockStamp.Result> seen, String error, boolean fua) {
    public Op {
      Objects.requireNonNull(kind);
      Objects.requireNonNull(outcome);
      seen = seen == null ? List.of() : List.copyOf(seen);
      error = error == null ? "" : error;
      if (completeNanos < invokeNanos) {
        throw new IllegalArgumentException("op " + opId + " completes before it is invoked");
      }
    }

    /** An op that is not a FUA write. */
    public Op(long opId, int actor, Kind kind, long lba, int blocks, long seq, long invokeNanos, long completeNanos,
        Outcome outcome, List<BlockStamp.Result> seen, String error) {
      this(opId, actor, kind, lba, blocks, seq, invokeNanos, completeNanos, outcome, seen, error, false);
    }

    public static Op write(long opId, int writer, long lba, int blocks, long seq, long invoke, long complete,
        Outcome outcome) {
      return write(opId, writer, lba, blocks, seq, invoke, complete, outcome, false);
    }

    public static Op write(long opId, int writer, long lba, int blocks, long seq, long invoke, long complete,
        Outcome outcome, boolean fua) {
      return new Op(opId, writer, Kind.WRITE, lba, blocks, seq, invoke, complete, outcome, List.of(), "", fua);
    }

    public static Op read(long opId, int reader, long lba, List<BlockStamp.Result> seen, long invoke,
        long complete) {
      return new Op(opId, reader, Kind.READ, lba, seen.size(), 0, invoke, complete, Outcome.OK, seen, "");
    }

    public Op withOutcome(Outcome o, String why) {
      return new Op(opId, actor, kind, lba, blocks, seq, invokeNanos, completeNanos, o, seen, why, fua);
    }

    public Op withTimes(long invoke, long complete) {
      return new Op(opId, actor, kind, lba, blocks, seq, invoke, complete, outcome, seen, error, fua);
    }

    public Op withSeen(List<BlockStamp.Result> s) {
      return new Op(opId, actor, kind, lba, blocks, seq, invokeNanos, completeNanos, outcome, s, error, fua);
    }

    /**
     * One line: {@code op=12 W actor=3 lba=100 n=2 seq=7 inv=.. done=.. OK}, FUA writes add {@code fua} after the
     * seq, reads add {@code seen=[..]}.
     */
    public String line() {
      StringBuilder b = new StringBuilder().append("op=").append(opId).append(' ').append(kind.name().charAt(0))
          .append(" actor=").append(actor).append(" lba=").append(lba).append(" n=").append(blocks);
      if (kind == Kind.WRITE) {
        b.append(" seq=").append(seq);
        if (fua) {
          b.append(" fua");
        }
      }
      b.append(" inv=").append(invokeNanos).append(" done=").append(completeNanos).append(' ').append(outcome);
      if (!seen.isEmpty()) {
        b.append(" seen=[").append(seen.stream().map(OpHistory::brief).collect(Collectors.joining(","))).append(']');
      }
      if (!error.isEmpty()) {
        b.append(" error=").append(error.replace('\n', ' '));
      }
      return b.toString();
    }
  }

  private final Path file;
  private final BufferedWriter out;
  private final int memoryCap;
  private final List<Op> ops = new ArrayList<>();
  private boolean truncated;
  private boolean closed;
  private long appended;

  /** A history kept in memory only (unit tests). */
  public static OpHistory inMemory(int memoryCap) {
    return new OpHistory(null, memoryCap);
  }

  /** A history appended to {@code file} (created or truncated), with the first {@code memoryCap} ops in memory. */
  public OpHistory(Path file, int memoryCap) {
    this.file = file;
    this.memoryCap = memoryCap;
    try {
      if (file != null && file.getParent() != null) {
        Files.createDirectories(file.getParent());
      }
      this.out = file == null ? null : Files.newBufferedWriter(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create history file " + file, e);
    }
  }

  public synchronized void append(Op op) {
    appended++;
    if (ops.size() < memoryCap) {
      ops.add(op);
    } else {
      truncated = true;
    }
    writeLine(op.line());
  }

  /** A free-form line in the file (a violation, a fault injected), prefixed with {@code #}. */
  public synchronized void note(String text) {
    writeLine("# " + text.replace('\n', ' '));
  }

  private void writeLine(String line) {
    if (out == null || closed) {
      return;
    }
    try {
      out.write(line);
      out.newLine();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to " + file, e);
    }
  }

  /** The ops kept in memory, in completion order (complete unless {@link #truncated()}). */
  public synchronized List<Op> ops() {
    return List.copyOf(ops);
  }

  public synchronized boolean truncated() {
    return truncated;
  }

  public synchronized long size() {
    return appended;
  }

  /** The history file, or null for an in-memory history. */
  public Path file() {
    return file;
  }

  /** Pushes buffered lines to the file (before evidence is collected). */
  public synchronized void flush() {
    if (out != null && !closed) {
      try {
        out.flush();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot flush " + file, e);
      }
    }
  }

  /**
   * Copies the history (flushed first) into {@code dir} as {@code history.txt}, for an evidence directory; returns
   * the copy, or null for an in-memory history.
   */
  public synchronized Path copyTo(Path dir) {
    if (file == null) {
      return null;
    }
    flush();
    try {
      Files.createDirectories(dir);
      return Files.copy(file, dir.resolve("history.txt"), StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + file + " to " + dir, e);
    }
  }

  @Override
  public synchronized void close() {
    if (out != null && !closed) {
      closed = true;
      try {
        out.close();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot close " + file, e);
      }
    }
  }

  static String brief(BlockStamp.Result r) {
    return switch (r.kind()) {
      case ZERO -> "Z";
      case VALID -> r.stamp().seq() + "@w" + r.stamp().writer();
      case MISDIRECTED -> "M(lba" + r.stamp().lba() + ":" + r.stamp().seq() + "@w" + r.stamp().writer() + ")";
      case GARBAGE -> "G";
    };
  }
}
