package io.basalt.it.check;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The model of one 4 KiB block (TESTPLAN 3.2): its writer, the last acked seq and when, the in-doubt seqs above it,
 * the write in flight, the highest seq a completed read returned, and the last few seqs written (to tell a seq never
 * written here). Thread-safe: every method locks the register.
 */
final class BlockRegister {
  private static final int RING = 8;
  private static final long[] NONE = new long[0];

  /** A broken rule and why. */
  record Broken(String rule, String detail) {}

  private int writer;
  private long maxInvoked;
  private long inFlight;
  private long lastAcked;
  private long lastAckedAt;
  private long maxRead;
  private long[] inDoubt = NONE; // the first inDoubtCount: ascending, all above lastAcked
  private int inDoubtCount;
  private final long[] recent = new long[RING];
  private int recentCount;

  synchronized void invoke(int w, long seq, long lba) {
    if (writer != 0 && writer != w) {
      throw new IllegalStateException("lba=" + lba + " belongs to writer " + writer + ", not " + w);
    }
    if (inFlight != 0 || seq <= maxInvoked) {
      throw new IllegalStateException("lba=" + lba + ": write seq " + seq + " while seq " + inFlight
          + " is in flight or after seq " + maxInvoked + " (one writer, QD1, increasing seqs per block)");
    }
    writer = w;
    maxInvoked = seq;
    inFlight = seq;
    recent[recentCount++ % RING] = seq;
  }

  synchronized void complete(int w, long seq, long lba, boolean acked) {
    if (writer != w || inFlight != seq) {
      throw new IllegalStateException("lba=" + lba + ": completion of seq " + seq + " by writer " + w
          + " but in flight is seq " + inFlight + " of writer " + writer);
    }
    inFlight = 0;
    if (acked) {
      lastAcked = seq;
      inDoubt = NONE; // every in-doubt seq is below seq: superseded
      inDoubtCount = 0;
    } else {
      if (inDoubtCount == inDoubt.length) {
        inDoubt = Arrays.copyOf(inDoubt, Math.max(2, 2 * inDoubtCount)); // amortised: many may pile up
      }
      inDoubt[inDoubtCount++] = seq;
    }
  }

  synchronized void ackedAt(long seq, long nanos) {
    if (lastAcked == seq) {
      lastAckedAt = nanos;
    }
  }

  synchronized long lastAcked() {
    return lastAcked;
  }

  synchronized long maxRead() {
    return maxRead;
  }

  synchronized int writer() {
    return writer;
  }

  /**
   * A read that returned {@code got} (zeros or a valid stamp of this run and LBA), whose floors were snapshotted
   * when it was sent: null when fine (the block's max read then moves up).
   */
  synchronized Broken checkRead(BlockStamp.Result got, long floorAcked, long floorRead) {
    long s = got.seq();
    if (s > 0 && s > maxInvoked) {
      return new Broken("future read", "read returned " + got + " whose write was not sent before the read completed");
    }
    if (s > 0 && got.stamp().writer() != writer) {
      return new Broken("wrong writer", "read returned " + got + " but the lba belongs to writer " + writer);
    }
    if (s > 0 && neverWritten(s)) {
      return new Broken("never written", "read returned " + got + ", a seq never written to this lba");
    }
    if (s < floorAcked) {
      return new Broken("stale read", "read returned " + got + " but seq " + floorAcked
          + " was acked before the read was sent");
    }
    if (s < floorRead) {
      return new Broken("new-then-old", "read returned " + got + " but a read completed before this one was sent "
          + "returned seq " + floorRead + " (inversion, or resurrection of an older or in-doubt value)");
    }
    maxRead = Math.max(maxRead, s);
    return null;
  }

  /** The final check of zeros or a valid stamp of this run and LBA, with nothing in flight: the rule broken, or null. */
  synchronized String finalRule(BlockStamp.Result got) {
    long s = got.seq();
    if (s > 0 && got.stamp().writer() != writer) {
      return "wrong writer";
    } else if (s < lastAcked) {
      return s == 0 ? "lost write" : "older value";
    } else if (s < maxRead) {
      return s == 0 ? "lost write" : "resurrection";
    } else if (s > lastAcked && !inDoubtContains(s)) {
      return s > maxInvoked ? "future value" : "unacked value";
    }
    return null;
  }

  /** True when {@code s} was surely never written here: not among the last seqs, which hold all when few. */
  private boolean neverWritten(long s) {
    for (int i = 0; i < Math.min(recentCount, RING); i++) {
      if (recent[i] == s) {
        return false;
      }
    }
    return recentCount <= RING || s > recent[recentCount % RING];
  }

  private boolean inDoubtContains(long s) {
    return Arrays.binarySearch(inDoubt, 0, inDoubtCount, s) >= 0 || (inFlight != 0 && inFlight == s);
  }

  /** What the block may hold at the end. */
  synchronized String expected() {
    List<String> allowed = new ArrayList<>();
    if (lastAcked >= maxRead) {
      allowed.add(lastAcked == 0 ? "zeros" : "acked seq " + lastAcked);
    }
    for (int i = 0; i < inDoubtCount; i++) {
      long s = inDoubt[i];
      if (s >= maxRead) {
        allowed.add("in-doubt seq " + s);
      }
    }
    if (inFlight != 0) {
      allowed.add("in-flight seq " + inFlight);
    }
    return allowed.size() == 1 ? allowed.get(0) : "one of " + allowed;
  }

  @Override
  public synchronized String toString() {
    return "writer=" + writer + " lastAcked=" + lastAcked + (lastAcked > 0 ? "@" + lastAckedAt : "") + " inDoubt="
        + Arrays.toString(Arrays.copyOf(inDoubt, inDoubtCount)) + " inFlight=" + inFlight + " maxRead=" + maxRead
        + " maxInvoked=" + maxInvoked;
  }
}
