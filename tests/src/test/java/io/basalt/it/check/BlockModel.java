package io.basalt.it.check;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.LongSupplier;

/**
 * The per-block model of TESTPLAN 3.2/3.3: every 4 KiB block is an independent register with one writer, written
 * at most once at a time, with unique increasing seqs. Per block it keeps the last acked seq (and when it was acked),
 * the in-doubt seqs above it, the highest seq any completed read returned, and the last few seqs written; O(blocks)
 * memory, no search.
 *
 * <p>Reads are checked as they complete ({@link #readCompleted}): a stamp of this LBA, of this run, of the
 * block's writer, of a seq written to it and invoked before the read completed, and no older than both the last
 * seq acked before the read was invoked and the highest seq returned by a read that completed before it was invoked
 * (no stale read, no new-then-old inversion, no resurrection of an in-doubt value).
 *
 * <p>Timing is sound by construction: times come from {@code clock} and are taken <em>after</em> a write's
 * invocation or completion is recorded and <em>before</em> a read's snapshot or check, so a recorded interval always
 * contains the real one. Concurrent races can only hide a violation (a false negative the end-of-run replay in
 * {@link LinearizabilityChecker} catches), never invent one. Thread-safe: each block's register is its own lock.
 */
public final class BlockModel {
  private static final int RING = 8;
  private static final long[] NONE = new long[0];

  /** A broken rule at one block, found by the read of op {@code opId} (or -1 at the final check). */
  public record Violation(long lba, String rule, String detail, long opId) {
    @Override
    public String toString() {
      return rule + " at lba=" + lba + (opId >= 0 ? " (op " + opId + ")" : "") + ": " + detail;
    }
  }

  /** A read in progress: when it was invoked and the floors its blocks may not go below. */
  public record ReadToken(long lba, int blocks, long invokeNanos, long[] floorAcked, long[] floorRead) {}

  /** A completed read's check: when it completed and what it broke. */
  public record ReadCheck(long completeNanos, List<Violation> violations) {}

  private static final class Register {
    int writer;
    long maxInvoked;
    long inFlight;
    long lastAcked;
    long lastAckedAt;
    long maxRead;
    long[] inDoubt = NONE;
    final long[] recent = new long[RING];
    int recentCount;

    /** True when {@code s} was surely never written here: not among the last seqs, which hold all when few. */
    boolean neverWritten(long s) {
      int kept = Math.min(recentCount, RING);
      for (int i = 0; i < kept; i++) {
        if (recent[i] == s) {
          return false;
        }
      }
      return recentCount <= RING || s > recent[recentCount % RING];
    }

    boolean inDoubtContains(long s) {
      return Arrays.binarySearch(inDoubt, s) >= 0 || (inFlight != 0 && inFlight == s);
    }
  }

  private final long runId;
  private final long volumeId;
  private final LongSupplier clock;
  private final AtomicReferenceArray<Register> regs;

  public BlockModel(long runId, long volumeId, long blocks, LongSupplier clock) {
    if (blocks <= 0 || blocks > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("blocks=" + blocks);
    }
    this.runId = runId;
    this.volumeId = volumeId;
    this.clock = clock;
    this.regs = new AtomicReferenceArray<>((int) blocks);
  }

  /** A model timed by this JVM's {@link System#nanoTime}, as the stresser uses it. */
  public static BlockModel live(long runId, long volumeId, long blocks) {
    return new BlockModel(runId, volumeId, blocks, System::nanoTime);
  }

  public long runId() {
    return runId;
  }

  public long volumeId() {
    return volumeId;
  }

  public long blocks() {
    return regs.length();
  }

  /** The stamp {@code writer} puts at {@code lba} with {@code seq} (what every write must carry). */
  public BlockStamp stamp(long lba, int writer, long seq, long opId) {
    return new BlockStamp(volumeId, lba, writer, seq, opId, runId);
  }

  /** Records that {@code writer} sends {@code seq} to {@code [lba, lba + n)}; returns the invoke time. */
  public long writeInvoked(int writer, long seq, long lba, int n) {
    for (int i = 0; i < n; i++) {
      Register r = register(lba + i);
      synchronized (r) {
        if (r.writer != 0 && r.writer != writer) {
          throw new IllegalStateException("lba=" + (lba + i) + " belongs to writer " + r.writer + ", not " + writer);
        }
        if (r.inFlight != 0 || seq <= r.maxInvoked) {
          throw new IllegalStateException("lba=" + (lba + i) + ": write seq " + seq + " while seq " + r.inFlight
              + " is in flight or after seq " + r.maxInvoked + " (one writer, QD1, increasing seqs per block)");
        }
        r.writer = writer;
        r.maxInvoked = seq;
        r.inFlight = seq;
        r.recent[r.recentCount++ % RING] = seq;
      }
    }
    return clock.getAsLong();
  }

  /** Records the outcome of a write; not {@code acked} means in doubt. Returns the completion time. */
  public long writeCompleted(int writer, long seq, long lba, int n, boolean acked) {
    for (int i = 0; i < n; i++) {
      Register r = register(lba + i);
      synchronized (r) {
        if (r.writer != writer || r.inFlight != seq) {
          throw new IllegalStateException("lba=" + (lba + i) + ": completion of seq " + seq + " by writer " + writer
              + " but in flight is seq " + r.inFlight + " of writer " + r.writer);
        }
        r.inFlight = 0;
        if (acked) {
          r.lastAcked = seq;
          r.inDoubt = NONE; // every in-doubt seq is below seq: superseded
        } else {
          r.inDoubt = Arrays.copyOf(r.inDoubt, r.inDoubt.length + 1);
          r.inDoubt[r.inDoubt.length - 1] = seq;
        }
      }
    }
    long now = clock.getAsLong();
    if (acked) {
      for (int i = 0; i < n; i++) {
        Register r = regs.get(index(lba + i));
        synchronized (r) {
          if (r.lastAcked == seq) {
            r.lastAckedAt = now;
          }
        }
      }
    }
    return now;
  }

  /** Snapshots the floors of {@code [lba, lba + n)} for a read about to be sent. */
  public ReadToken readInvoked(long lba, int n) {
    long now = clock.getAsLong();
    long[] acked = new long[n];
    long[] read = new long[n];
    for (int i = 0; i < n; i++) {
      Register r = regs.get(index(lba + i));
      if (r != null) {
        synchronized (r) {
          acked[i] = r.lastAcked;
          read[i] = r.maxRead;
        }
      }
    }
    return new ReadToken(lba, n, now, acked, read);
  }

  /** Checks what a read returned, block by block; {@code seen} has one entry per block of the token. */
  public ReadCheck readCompleted(ReadToken t, List<BlockStamp.Result> seen, long opId) {
    long now = clock.getAsLong();
    if (seen.size() != t.blocks()) {
      throw new IllegalArgumentException("read of " + t.blocks() + " blocks returned " + seen.size());
    }
    List<Violation> bad = new ArrayList<>(0);
    for (int i = 0; i < t.blocks(); i++) {
      long lba = t.lba() + i;
      BlockStamp.Result got = seen.get(i);
      String wrong = checkRead(lba, got, t.floorAcked()[i], t.floorRead()[i]);
      if (wrong != null) {
        bad.add(new Violation(lba, wrong.substring(0, wrong.indexOf(':')), wrong.substring(wrong.indexOf(':') + 2)
            + "; model " + describe(lba), opId));
      }
    }
    return new ReadCheck(now, bad);
  }

  /** "rule: detail" when {@code got} breaks a rule, else null (and then the block's max read moves up). */
  private String checkRead(long lba, BlockStamp.Result got, long floorAcked, long floorRead) {
    String foreign = foreign(got);
    if (foreign != null) {
      return foreign;
    }
    long s = got.seq();
    Register r = regs.get(index(lba));
    if (r == null) {
      return s == 0 ? null : "never written: read returned " + got + " but no write was ever sent to this lba";
    }
    synchronized (r) {
      if (s > 0 && s > r.maxInvoked) {
        return "future read: read returned " + got + " whose write was not sent before the read completed";
      }
      if (s > 0 && got.stamp().writer() != r.writer) {
        return "wrong writer: read returned " + got + " but the lba belongs to writer " + r.writer;
      }
      if (s > 0 && r.neverWritten(s)) {
        return "never written: read returned " + got + ", a seq never written to this lba";
      }
      if (s < floorAcked) {
        return "stale read: read returned " + got + " but seq " + floorAcked + " was acked before the read was sent";
      }
      if (s < floorRead) {
        return "new-then-old: read returned " + got + " but a read completed before this one was sent returned seq "
            + floorRead + " (inversion, or resurrection of an older or in-doubt value)";
      }
      r.maxRead = Math.max(r.maxRead, s);
      return null;
    }
  }

  private String foreign(BlockStamp.Result got) {
    return switch (got.kind()) {
      case ZERO -> null;
      case GARBAGE -> "garbage: " + got;
      case MISDIRECTED -> "misdirected write: " + got;
      case VALID -> got.stamp().runId() != runId || got.stamp().volumeId() != volumeId
          ? "foreign stamp: " + got.stamp() + " is not of run " + runId + " volume " + volumeId : null;
    };
  }

  /**
   * The check after healing (TESTPLAN 3.3 end): with nothing in flight, a block must hold its last acked stamp or
   * a later in-doubt one, and nothing older than a value a read already returned; zeros only if never acked nor
   * read. {@code where} names the source ("volume", "replica cid=2 10.0.0.1:7000") in the message.
   */
  public Optional<Violation> checkFinal(long lba, BlockStamp.Result got, String where) {
    String foreign = foreign(got);
    if (foreign != null) {
      return Optional.of(new Violation(lba, foreign.substring(0, foreign.indexOf(':')), where + " holds " + got
          + "; model " + describe(lba), -1));
    }
    Register r = regs.get(index(lba));
    if (r == null) {
      return got.seq() == 0 ? Optional.empty() : Optional.of(new Violation(lba, "never written", where + " holds "
          + got + " but no write was ever sent to this lba", -1));
    }
    synchronized (r) {
      long s = got.seq();
      String rule = null;
      if (s > 0 && got.stamp().writer() != r.writer) {
        rule = "wrong writer";
      } else if (s < r.lastAcked) {
        rule = s == 0 ? "lost write" : "older value";
      } else if (s < r.maxRead) {
        rule = s == 0 ? "lost write" : "resurrection";
      } else if (s > r.lastAcked && !r.inDoubtContains(s)) {
        rule = s > r.maxInvoked ? "future value" : "unacked value";
      }
      return rule == null ? Optional.empty() : Optional.of(new Violation(lba, rule, where + " holds " + got
          + ", expected " + expected(r) + "; model " + describe(lba), -1));
    }
  }

  private static String expected(Register r) {
    List<String> allowed = new ArrayList<>();
    if (r.lastAcked >= r.maxRead) {
      allowed.add(r.lastAcked == 0 ? "zeros" : "acked seq " + r.lastAcked);
    }
    for (long s : r.inDoubt) {
      if (s >= r.maxRead) {
        allowed.add("in-doubt seq " + s);
      }
    }
    if (r.inFlight != 0) {
      allowed.add("in-flight seq " + r.inFlight);
    }
    return allowed.size() == 1 ? allowed.get(0) : "one of " + allowed;
  }

  /** The model's state of one block, for messages. */
  public String describe(long lba) {
    Register r = regs.get(index(lba));
    if (r == null) {
      return "never written";
    }
    synchronized (r) {
      return "writer=" + r.writer + " lastAcked=" + r.lastAcked + (r.lastAcked > 0 ? "@" + r.lastAckedAt : "")
          + " inDoubt=" + Arrays.toString(r.inDoubt) + " inFlight=" + r.inFlight + " maxRead=" + r.maxRead
          + " maxInvoked=" + r.maxInvoked;
    }
  }

  /** The last acked seq of {@code lba} (0: never acked). */
  public long lastAcked(long lba) {
    Register r = regs.get(index(lba));
    if (r == null) {
      return 0;
    }
    synchronized (r) {
      return r.lastAcked;
    }
  }

  /** The writer {@code lba} belongs to (0: never written). */
  public int writer(long lba) {
    Register r = regs.get(index(lba));
    if (r == null) {
      return 0;
    }
    synchronized (r) {
      return r.writer;
    }
  }

  private Register register(long lba) {
    int i = index(lba);
    Register r = regs.get(i);
    if (r == null) {
      regs.compareAndSet(i, null, new Register());
      r = regs.get(i);
    }
    return r;
  }

  private int index(long lba) {
    if (lba < 0 || lba >= regs.length()) {
      throw new IllegalArgumentException("lba=" + lba + " outside the model's " + regs.length() + " blocks");
    }
    return (int) lba;
  }
}
