package io.basalt.it.check;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

/**
 * Which blocks each stresser writer owns (TESTPLAN 3.1 b): the working set is cut into stripes of
 * {@code maxBlocksPerWrite} blocks spread evenly over the volume, so it spans every extent, and stripe j belongs to
 * random writer {@code 2 + j % writers}: disjoint sets, one writer per block. The QD1 sequential writer (id 1) owns
 * a region at the end of the volume (at most one extent).
 *
 * <p>The optional contended range (TESTPLAN 3.1 c) belongs to no single writer: every contended writer (ids after
 * the random writers') writes anywhere in it. It straddles the extent boundary nearest the middle of the volume, so
 * multi-block writes there go to two extents and their owners; stripes skip it, and reads of random blocks never
 * touch it (its reads are counted against its history budget, see {@link ContendedBudget}). Immutable.
 */
public final class StressLayout {
  public static final int SEQUENTIAL_WRITER = 1;

  private final long volumeBlocks;
  private final int stripeBlocks;
  private final long seqStart;
  private final long seqBlocks;
  private final List<long[]> stripesByWriter = new ArrayList<>();
  private final TreeSet<Long> stripeStarts = new TreeSet<>();
  private final int writers;
  private final int extentsSpanned;
  private final long contendedStart;
  private final int contendedBlocks;
  private final int contendedWriters;

  public StressLayout(long volumeBytes, StressConfig c) {
    this.volumeBlocks = volumeBytes / BlockStamp.BLOCK;
    this.stripeBlocks = c.maxBlocksPerWrite();
    this.writers = c.writers();
    long extentBlocks = c.extentSize() / BlockStamp.BLOCK;
    this.seqBlocks = c.sequentialWriter() ? Math.max(1, Math.min(Math.min(extentBlocks, 256), volumeBlocks / 8)) : 0;
    this.seqStart = volumeBlocks - seqBlocks;
    this.contendedBlocks = c.contendedBlocks();
    this.contendedWriters = c.contendedWriters();
    if (contendedBlocks > seqStart / 8) {
      throw new IllegalArgumentException("a contended range of " + contendedBlocks + " blocks is not small next to "
          + seqStart + " blocks");
    }
    long middle = seqStart / 2;
    long boundary = middle / extentBlocks * extentBlocks;
    long start = (boundary == 0 ? middle : boundary) - contendedBlocks / 2;
    this.contendedStart = Math.max(0, Math.min(start, seqStart - contendedBlocks));
    // stripe slots overlapping the contended range, [skipFrom, skipTo), are left out
    long skipFrom = contendedStart / stripeBlocks;
    long skipTo = contendedBlocks == 0 ? skipFrom
        : (contendedStart + contendedBlocks + stripeBlocks - 1) / stripeBlocks;
    long total = seqStart / stripeBlocks - (skipTo - skipFrom);
    long wanted = Math.min(total, c.workingSetBlocks() / stripeBlocks);
    if (wanted < writers) {
      throw new IllegalArgumentException("volume of " + volumeBlocks + " blocks leaves " + total + " stripes of "
          + stripeBlocks + " blocks for " + writers + " writers");
    }
    List<List<Long>> mine = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      mine.add(new ArrayList<>());
    }
    TreeSet<Long> extents = new TreeSet<>();
    for (long j = 0; j < wanted; j++) {
      long slot = j * total / wanted;
      long first = (slot < skipFrom ? slot : slot + skipTo - skipFrom) * stripeBlocks;
      mine.get((int) (j % writers)).add(first);
      stripeStarts.add(first);
      extents.add(first / extentBlocks);
      extents.add((first + stripeBlocks - 1) / extentBlocks);
    }
    if (contendedBlocks > 0) {
      extents.add(contendedStart / extentBlocks);
      extents.add((contendedStart + contendedBlocks - 1) / extentBlocks);
    }
    for (List<Long> l : mine) {
      stripesByWriter.add(l.stream().mapToLong(Long::longValue).toArray());
    }
    this.extentsSpanned = extents.size();
    long volumeExtents = (volumeBlocks + extentBlocks - 1) / extentBlocks;
    if (extentsSpanned < Math.min(8, volumeExtents - (seqBlocks > 0 ? 1 : 0))) {
      throw new IllegalArgumentException("working set spans only " + extentsSpanned + " extents (want >= 8 or all "
          + volumeExtents + "): raise workingSetBlocks");
    }
  }

  public long volumeBlocks() {
    return volumeBlocks;
  }

  public int extentsSpanned() {
    return extentsSpanned;
  }

  /** Random writer ids: 2 .. writers + 1. */
  public int randomWriters() {
    return writers;
  }

  public long sequentialStart() {
    return seqStart;
  }

  public long sequentialBlocks() {
    return seqBlocks;
  }

  /** First LBAs of random writer {@code writer}'s stripes (each {@link #stripeBlocks()} long), ascending. */
  public long[] stripesOf(int writer) {
    return stripesByWriter.get(writer - 2).clone();
  }

  public int stripeBlocks() {
    return stripeBlocks;
  }

  /** First LBA of the contended range (meaningless when it has no blocks). */
  public long contendedStart() {
    return contendedStart;
  }

  /** Blocks of the contended range (0: none). */
  public int contendedBlocks() {
    return contendedBlocks;
  }

  /** Contended writers: ids {@link #firstContendedWriter()} onwards. */
  public int contendedWriters() {
    return contendedWriters;
  }

  public int firstContendedWriter() {
    return writers + 2;
  }

  public boolean isContended(long lba) {
    return lba >= contendedStart && lba - contendedStart < contendedBlocks;
  }

  /** A write of a contended writer: {first LBA, block count}, 1..min(4, range) blocks inside the range. */
  public long[] pickContendedWrite(Random r) {
    return pickContended(r);
  }

  /** A read of the contended range: {first LBA, block count}, as a contended write is shaped. */
  public long[] pickContendedRead(Random r) {
    return pickContended(r);
  }

  private long[] pickContended(Random r) {
    if (contendedBlocks == 0) {
      throw new IllegalStateException("no contended range");
    }
    int n = 1 + r.nextInt(Math.min(4, contendedBlocks));
    return new long[] {contendedStart + r.nextInt(contendedBlocks - n + 1), n};
  }

  /** A write for random writer {@code writer}: {first LBA, block count}, inside one of its stripes. */
  public long[] pickWrite(int writer, Random r) {
    long[] stripes = stripesByWriter.get(writer - 2);
    long stripe = stripes[r.nextInt(stripes.length)];
    int off = r.nextInt(stripeBlocks);
    int n = 1 + r.nextInt(stripeBlocks - off);
    return new long[] {stripe + off, n};
  }

  /**
   * A read: {first LBA, block count}, mostly in the working set, sometimes anywhere (never-written blocks too), but
   * never in the contended range.
   */
  public long[] pickRead(Random r) {
    while (true) {
      long lba;
      if (r.nextInt(10) < 8) {
        int w = 2 + r.nextInt(writers);
        long[] stripes = stripesByWriter.get(w - 2);
        lba = stripes[r.nextInt(stripes.length)] + r.nextInt(stripeBlocks);
      } else {
        lba = (long) (r.nextDouble() * volumeBlocks);
      }
      int n = 1 + r.nextInt((int) Math.min(16, volumeBlocks - lba));
      if (contendedBlocks == 0 || lba + n <= contendedStart || lba >= contendedStart + contendedBlocks) {
        return new long[] {lba, n};
      }
    }
  }

  /** The writer owning {@code lba}, or 0 when no single writer does (never written, or {@link #isContended}). */
  public int writerOf(long lba) {
    if (seqBlocks > 0 && lba >= seqStart && lba < volumeBlocks) {
      return SEQUENTIAL_WRITER;
    }
    Long start = stripeStarts.floor(lba);
    if (start == null || lba >= start + stripeBlocks) {
      return 0;
    }
    for (int w = 0; w < writers; w++) {
      if (Arrays.binarySearch(stripesByWriter.get(w), start) >= 0) {
        return w + 2;
      }
    }
    return 0;
  }
}
