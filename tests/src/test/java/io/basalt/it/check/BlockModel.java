package io.basalt.it.check;

import java.util.ArrayList;
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
 * <p>The exception is an optional small <em>contended</em> range (TESTPLAN 3.1 c) that several writers write at
 * once: there no order of writes is known in advance, so each of its blocks records its whole history in a
 * {@link RegisterHistory} (bounded) and is checked at the end by search ({@link #checkContended()}), not online;
 * online, its reads are only checked to be zeros or a stamp of this run that was sent to that LBA.
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

  private final long runId;
  private final long volumeId;
  private final LongSupplier clock;
  private final AtomicReferenceArray<BlockRegister> regs;
  private final long contendedFirst;
  private final RegisterHistory[] contended;

  public BlockModel(long runId, long volumeId, long blocks, LongSupplier clock) {
    this(runId, volumeId, blocks, clock, 0, 0);
  }

  /** A model whose blocks {@code [contendedFirst, contendedFirst + contendedBlocks)} have several writers. */
  public BlockModel(long runId, long volumeId, long blocks, LongSupplier clock, long contendedFirst,
      int contendedBlocks) {
    if (blocks <= 0 || blocks > Integer.MAX_VALUE || contendedBlocks < 0 || contendedFirst < 0
        || contendedFirst + contendedBlocks > blocks) {
      throw new IllegalArgumentException("blocks=" + blocks + " contended=[" + contendedFirst + ", +"
          + contendedBlocks + ")");
    }
    this.runId = runId;
    this.volumeId = volumeId;
    this.clock = clock;
    this.regs = new AtomicReferenceArray<>((int) blocks);
    this.contendedFirst = contendedFirst;
    this.contended = new RegisterHistory[contendedBlocks];
    for (int i = 0; i < contendedBlocks; i++) {
      contended[i] = new RegisterHistory(contendedFirst + i);
    }
  }

  /** A model timed by this JVM's {@link System#nanoTime}, as the stresser uses it. */
  public static BlockModel live(long runId, long volumeId, long blocks) {
    return new BlockModel(runId, volumeId, blocks, System::nanoTime);
  }

  /** A live model with a contended range (see {@link StressLayout#contendedStart()}). */
  public static BlockModel live(long runId, long volumeId, long blocks, long contendedFirst, int contendedBlocks) {
    return new BlockModel(runId, volumeId, blocks, System::nanoTime, contendedFirst, contendedBlocks);
  }

  /** An empty model of the same run, volume, size and contended range, timed by {@code c} (for replays). */
  public BlockModel fresh(LongSupplier c) {
    return new BlockModel(runId, volumeId, blocks(), c, contendedFirst, contended.length);
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

  public long contendedStart() {
    return contendedFirst;
  }

  /** Blocks in the contended range (0: none). */
  public int contendedBlocks() {
    return contended.length;
  }

  public boolean isContended(long lba) {
    return lba >= contendedFirst && lba - contendedFirst < contended.length;
  }

  /** The stamp {@code writer} puts at {@code lba} with {@code seq} (what every write must carry). */
  public BlockStamp stamp(long lba, int writer, long seq, long opId) {
    return new BlockStamp(volumeId, lba, writer, seq, opId, runId);
  }

  /**
   * Records that write {@code opId} of {@code writer} sends {@code seq} to {@code [lba, lba + n)}; returns the
   * invoke time, taken before the write is sent and after its single-writer blocks recorded it (its contended blocks
   * record it with that time).
   */
  public long writeInvoked(int writer, long seq, long lba, int n, long opId) {
    for (int i = 0; i < n; i++) {
      if (!isContended(lba + i)) {
        register(lba + i).invoke(writer, seq, lba + i);
      }
    }
    long now = clock.getAsLong();
    for (int i = 0; i < n; i++) {
      if (isContended(lba + i)) {
        contended(lba + i).writeInvoked(opId, writer, seq, now);
      }
    }
    return now;
  }

  /** Records the outcome of a write; not {@code acked} means in doubt. Returns the completion time. */
  public long writeCompleted(int writer, long seq, long lba, int n, boolean acked) {
    for (int i = 0; i < n; i++) {
      if (!isContended(lba + i)) {
        register(lba + i).complete(writer, seq, lba + i, acked);
      }
    }
    long now = clock.getAsLong();
    for (int i = 0; i < n; i++) {
      if (isContended(lba + i)) {
        contended(lba + i).writeCompleted(writer, seq, now, acked);
      } else if (acked) {
        register(lba + i).ackedAt(seq, now);
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
      BlockRegister r = regs.get(index(lba + i));
      if (r != null) {
        acked[i] = r.lastAcked();
        read[i] = r.maxRead();
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
      BlockRegister.Broken b = foreign(got);
      if (b == null && isContended(lba)) {
        b = contended(lba).readCompleted(opId, got, t.invokeNanos(), now);
      } else if (b == null) {
        BlockRegister r = regs.get(index(lba));
        if (r != null) {
          b = r.checkRead(got, t.floorAcked()[i], t.floorRead()[i]);
        } else if (got.seq() != 0) {
          b = new BlockRegister.Broken("never written", "read returned " + got + " but no write was ever sent here");
        }
      }
      if (b != null) {
        bad.add(new Violation(lba, b.rule(), b.detail() + "; model " + describe(lba), opId));
      }
    }
    return new ReadCheck(now, bad);
  }

  private BlockRegister.Broken foreign(BlockStamp.Result got) {
    return switch (got.kind()) {
      case ZERO -> null;
      case GARBAGE -> new BlockRegister.Broken("garbage", got.toString());
      case MISDIRECTED -> new BlockRegister.Broken("misdirected write", got.toString());
      case VALID -> got.stamp().runId() != runId || got.stamp().volumeId() != volumeId
          ? new BlockRegister.Broken("foreign stamp", got.stamp() + " is not of run " + runId + " volume " + volumeId)
          : null;
    };
  }

  /**
   * The check after healing (TESTPLAN 3.3 end): with nothing in flight, a block must hold its last acked stamp or
   * a later in-doubt one, and nothing older than a value a read already returned; zeros only if never acked nor
   * read. {@code where} names the source ("volume", "replica cid=2 10.0.0.1:7000") in the message.
   */
  public Optional<Violation> checkFinal(long lba, BlockStamp.Result got, String where) {
    BlockRegister.Broken f = foreign(got);
    if (f != null) {
      return Optional.of(new Violation(lba, f.rule(), where + " holds " + got + "; model " + describe(lba), -1));
    }
    if (isContended(lba)) {
      RegisterHistory h = contended(lba);
      BlockRegister.Broken b = h.finalRule(got);
      return b == null ? Optional.empty() : Optional.of(new Violation(lba, b.rule(), where + " holds " + got + ": "
          + b.detail() + "; expected " + h.expected() + "; model " + h, -1));
    }
    BlockRegister r = regs.get(index(lba));
    if (r == null) {
      return got.seq() == 0 ? Optional.empty() : Optional.of(new Violation(lba, "never written", where + " holds "
          + got + " but no write was ever sent to this lba", -1));
    }
    String rule = r.finalRule(got);
    return rule == null ? Optional.empty() : Optional.of(new Violation(lba, rule, where + " holds " + got
        + ", expected " + r.expected() + "; model " + r, -1));
  }

  /**
   * The contended range's check (TESTPLAN 3.3: a search per block), once the load has stopped: per block, a read of
   * a stamp never written there or written only after the read completed, no linearization at all, or a history too
   * large to check. Empty when every block is linearizable or there is no contended range.
   */
  public List<Violation> checkContended() {
    List<Violation> bad = new ArrayList<>(0);
    for (RegisterHistory h : contended) {
      bad.addAll(h.check());
    }
    return bad;
  }

  /** Ops recorded in the contended range, over all its blocks. */
  public long contendedOps() {
    long n = 0;
    for (RegisterHistory h : contended) {
      n += h.ops();
    }
    return n;
  }

  /**
   * The fewest ops any contended block of {@code [lba, lba + n)} may still record before it is too large to
   * check ({@link Integer#MAX_VALUE} when none is contended): the stresser keeps its contended ops below it.
   */
  public int contendedRoom(long lba, int n) {
    int room = Integer.MAX_VALUE;
    for (int i = 0; i < n; i++) {
      if (isContended(lba + i)) {
        room = Math.min(room, contended(lba + i).room());
      }
    }
    return room;
  }

  /** The model's state of one block, for messages. */
  public String describe(long lba) {
    if (isContended(lba)) {
      return contended(lba).toString();
    }
    BlockRegister r = regs.get(index(lba));
    return r == null ? "never written" : r.toString();
  }

  /** The last acked seq of {@code lba} (0: never acked, or contended: see {@link #isContended}). */
  public long lastAcked(long lba) {
    BlockRegister r = regs.get(index(lba));
    return r == null ? 0 : r.lastAcked();
  }

  /** The writer {@code lba} belongs to (0: never written, or contended). */
  public int writer(long lba) {
    BlockRegister r = regs.get(index(lba));
    return r == null ? 0 : r.writer();
  }

  private RegisterHistory contended(long lba) {
    return contended[(int) (lba - contendedFirst)];
  }

  private BlockRegister register(long lba) {
    int i = index(lba);
    BlockRegister r = regs.get(i);
    if (r == null) {
      regs.compareAndSet(i, null, new BlockRegister());
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
