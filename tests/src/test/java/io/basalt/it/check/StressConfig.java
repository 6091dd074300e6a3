package io.basalt.it.check;

import java.nio.file.Path;
import java.time.Duration;

/**
 * What a {@link Stresser} run does (TESTPLAN 3.1). Immutable; start from {@link #defaults(long)} and adjust with the
 * {@code withX} copies.
 *
 * @param seed drives every random choice (blocks, sizes, FUA); the run id defaults to it
 * @param runId written into every stamp: blocks of another run read back as foreign
 * @param volumeId written into every stamp (the volume's vid, or any number fixed for the volume)
 * @param duration how long workers issue ops (the run also ends after {@code maxWrites}, if positive)
 * @param writers random writers on disjoint block sets (besides the QD1 sequential writer)
 * @param sequentialWriter run the QD1 sequential writer that measures the I/O pause
 * @param readers readers of random blocks, checked online
 * @param extentSize the volume's extent size in bytes (to spread the working set over extents)
 * @param workingSetBlocks blocks the random writers share out, spread evenly over the volume
 * @param maxBlocksPerWrite 1..16: writes are 4 KiB to this many blocks (64 KiB at 16)
 * @param flushEvery a FLUSH after every this many writes (0: never)
 * @param fuaPercent share of writes sent with FUA
 * @param writesPerSecond total rate of the random writers, 0 = flat out (the sequential writer is never paced)
 * @param readsPerSecond total rate of the readers, 0 = flat out
 * @param opTimeout backstop for one op (the volume's own deadline should fire first); past it: TIMEOUT, in doubt
 * @param historyFile where every op is appended as a line (null: memory only)
 * @param historyMemoryCap ops kept in memory for the exact end-of-run replay
 * @param contendedWriters extra writers that all write one small shared range (0: no contended range)
 * @param contendedBlocks blocks of that range (0: none; at most {@link #MAX_CONTENDED_BLOCKS})
 */
public record StressConfig(long seed, long runId, long volumeId, Duration duration, long maxWrites, int writers,
    boolean sequentialWriter, int readers, long extentSize, int workingSetBlocks, int maxBlocksPerWrite,
    int flushEvery, int fuaPercent, int writesPerSecond, int readsPerSecond, Duration opTimeout, Path historyFile,
    int historyMemoryCap, int contendedWriters, int contendedBlocks) {
  /** Most blocks a contended range may have: it is meant to be small, so every block sees much overlap. */
  public static final int MAX_CONTENDED_BLOCKS = 64;

  public StressConfig {
    if (writers < 1 || readers < 0 || maxBlocksPerWrite < 1 || maxBlocksPerWrite > 16 || fuaPercent < 0
        || fuaPercent > 100 || extentSize < BlockStamp.BLOCK || extentSize % BlockStamp.BLOCK != 0
        || workingSetBlocks < maxBlocksPerWrite || flushEvery < 0 || writesPerSecond < 0 || readsPerSecond < 0
        || contendedWriters < 0 || contendedBlocks < 0 || contendedBlocks > MAX_CONTENDED_BLOCKS
        || (contendedWriters == 0) != (contendedBlocks == 0) || writers + contendedWriters > 900) {
      throw new IllegalArgumentException("bad stress config " + StressConfig.class.getSimpleName() + "[writers="
          + writers + " readers=" + readers + " maxBlocksPerWrite=" + maxBlocksPerWrite + " fuaPercent=" + fuaPercent
          + " extentSize=" + extentSize + " workingSetBlocks=" + workingSetBlocks + " contended=" + contendedWriters
          + " writers on " + contendedBlocks + " blocks]");
    }
  }

  /**
   * 4 random writers, the sequential writer, 2 readers, 1 MiB extents, a 2048-block (8 MiB) working set, writes of
   * 4-64 KiB, FLUSH every 50 writes, FUA on 10 %, flat out for 5 s, 60 s op backstop, history in memory only (the first 100k ops).
   */
  public static StressConfig defaults(long seed) {
    return new StressConfig(seed, seed, 1, Duration.ofSeconds(5), 0, 4, true, 2, 1 << 20, 2048, 16, 50, 10, 0, 0,
        Duration.ofSeconds(60), null, 100_000, 0, 0);
  }

  public StressConfig withRunId(long id) {
    return new StressConfig(seed, id, volumeId, duration, maxWrites, writers, sequentialWriter, readers, extentSize,
        workingSetBlocks, maxBlocksPerWrite, flushEvery, fuaPercent, writesPerSecond, readsPerSecond, opTimeout,
        historyFile, historyMemoryCap, contendedWriters, contendedBlocks);
  }

  public StressConfig withVolumeId(long id) {
    return new StressConfig(seed, runId, id, duration, maxWrites, writers, sequentialWriter, readers, extentSize,
        workingSetBlocks, maxBlocksPerWrite, flushEvery, fuaPercent, writesPerSecond, readsPerSecond, opTimeout,
        historyFile, historyMemoryCap, contendedWriters, contendedBlocks);
  }

  /** Runs for {@code d}, and stops earlier after {@code writes} writes when positive. */
  public StressConfig withLimits(Duration d, long writes) {
    return new StressConfig(seed, runId, volumeId, d, writes, writers, sequentialWriter, readers, extentSize,
        workingSetBlocks, maxBlocksPerWrite, flushEvery, fuaPercent, writesPerSecond, readsPerSecond, opTimeout,
        historyFile, historyMemoryCap, contendedWriters, contendedBlocks);
  }

  public StressConfig withWorkers(int randomWriters, boolean sequential, int readerCount) {
    return new StressConfig(seed, runId, volumeId, duration, maxWrites, randomWriters, sequential, readerCount,
        extentSize, workingSetBlocks, maxBlocksPerWrite, flushEvery, fuaPercent, writesPerSecond, readsPerSecond,
        opTimeout, historyFile, historyMemoryCap, contendedWriters, contendedBlocks);
  }

  /** The volume's extent size and how many blocks the random writers use, spread over the whole volume. */
  public StressConfig withLayout(long extentBytes, int workingSet, int maxBlocks) {
    return new StressConfig(seed, runId, volumeId, duration, maxWrites, writers, sequentialWriter, readers,
        extentBytes, workingSet, maxBlocks, flushEvery, fuaPercent, writesPerSecond, readsPerSecond, opTimeout,
        historyFile, historyMemoryCap, contendedWriters, contendedBlocks);
  }

  public StressConfig withDurability(int flushEveryWrites, int fuaPct) {
    return new StressConfig(seed, runId, volumeId, duration, maxWrites, writers, sequentialWriter, readers,
        extentSize, workingSetBlocks, maxBlocksPerWrite, flushEveryWrites, fuaPct, writesPerSecond, readsPerSecond,
        opTimeout, historyFile, historyMemoryCap, contendedWriters, contendedBlocks);
  }

  /** Bounded rates (0 = flat out). */
  public StressConfig withRates(int writesPerSec, int readsPerSec) {
    return new StressConfig(seed, runId, volumeId, duration, maxWrites, writers, sequentialWriter, readers,
        extentSize, workingSetBlocks, maxBlocksPerWrite, flushEvery, fuaPercent, writesPerSec, readsPerSec, opTimeout,
        historyFile, historyMemoryCap, contendedWriters, contendedBlocks);
  }

  public StressConfig withOpTimeout(Duration t) {
    return new StressConfig(seed, runId, volumeId, duration, maxWrites, writers, sequentialWriter, readers,
        extentSize, workingSetBlocks, maxBlocksPerWrite, flushEvery, fuaPercent, writesPerSecond, readsPerSecond, t,
        historyFile, historyMemoryCap, contendedWriters, contendedBlocks);
  }

  /**
   * A contended range (TESTPLAN 3.1 c): {@code writers} extra writers (QD1 each) all write 1..min(4, blocks) blocks
   * at a time into one shared range of {@code blocks} blocks, which the readers also read; checked by search at the
   * end, not online (see {@link StressLayout} for where it lies, {@link ContendedBudget} for its pace). 0, 0: none.
   */
  public StressConfig withContended(int writers, int blocks) {
    return new StressConfig(seed, runId, volumeId, duration, maxWrites, this.writers, sequentialWriter, readers,
        extentSize, workingSetBlocks, maxBlocksPerWrite, flushEvery, fuaPercent, writesPerSecond, readsPerSecond,
        opTimeout, historyFile, historyMemoryCap, writers, blocks);
  }

  public StressConfig withHistory(Path file, int memoryCap) {
    return new StressConfig(seed, runId, volumeId, duration, maxWrites, writers, sequentialWriter, readers,
        extentSize, workingSetBlocks, maxBlocksPerWrite, flushEvery, fuaPercent, writesPerSecond, readsPerSecond,
        opTimeout, file, memoryCap, contendedWriters, contendedBlocks);
  }
}
