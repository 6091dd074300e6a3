package io.basalt.chunk.store;

import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the data directory's disk is full (TESTPLAN F16), and the gate that refuses new data while it is. Full
 * means: a write hit ENOSPC ({@link #noSpace}), or the file system's usable space fell below the reserve. The reserve
 * keeps room for what must still work on a full chunk (RocksDB flushes and compactions, deleting replicas that moved
 * away, replica metadata) so the chunk stops taking data before the disk, not RocksDB, decides for it.
 *
 * <p>Full clears only in {@link #poll} (the heartbeat thread) once usable space is back at twice the reserve
 * (hysteresis: a chunk freeing a few blocks must not flap in and out of placement) and a synced probe write
 * succeeded, which proves RocksDB left its background error state (it resumes by itself from a NoSpace error once
 * space is back, through its SstFileManager). A full chunk keeps serving reads: this gate is for new data only.
 *
 * <p>Threads: any. {@link #checkWritable} runs on pid threads and costs a volatile read, plus a statvfs at most
 * every {@link #REFRESH_NANOS}.
 */
public final class DiskSpace {
  private static final Logger log = LoggerFactory.getLogger(DiskSpace.class);
  /** How old the cached usable space may be on the write path. */
  static final long REFRESH_NANOS = 100_000_000L;

  /** Hears each write refused for lack of space, with its pid (0: not one extent's). Must only hand the news off. */
  @FunctionalInterface
  public interface Refusals {
    void refused(long pid, String why);
  }

  /** A synced write of a few bytes that throws when the store cannot write. */
  @FunctionalInterface
  interface Probe {
    void write() throws Exception;
  }

  private final Path dir;
  private final long reserveBytes;
  private final LongSupplier nanoClock;
  private final Usable usable;
  private volatile Probe probe = () -> {};
  private volatile Refusals refusals = (pid, why) -> {};
  /** Why the disk is full; null while it is not. */
  private final AtomicReference<String> full = new AtomicReference<>();
  private final LongAdder noSpaceErrors = new LongAdder();
  private volatile long usableBytes = Long.MAX_VALUE;
  private volatile long checkedAtNanos;
  private volatile boolean checked;
  /** The last poll's probe write failed (logged once per wait). Poll thread. */
  private boolean probeFailing;

  /** The usable bytes of the data directory's file system (statvfs f_bavail); a test fakes it. */
  @FunctionalInterface
  interface Usable {
    long bytes() throws IOException;
  }

  DiskSpace(Path dir, long reserveBytes, LongSupplier nanoClock, Usable usable) {
    if (reserveBytes < 0) throw new IllegalArgumentException("reserveBytes must be >= 0: " + reserveBytes);
    this.dir = dir;
    this.reserveBytes = reserveBytes;
    this.nanoClock = nanoClock;
    this.usable = usable;
  }

  /** Watches the file system {@code dir} is on. */
  static DiskSpace of(Path dir, long reserveBytes) throws IOException {
    FileStore fs = Files.getFileStore(dir);
    return new DiskSpace(dir, reserveBytes, System::nanoTime, fs::getUsableSpace);
  }

  void probe(Probe p) {
    this.probe = p;
  }

  /**
   * {@code r} hears every refused or failed write of an extent: the chunk reports that replica for replacement, since
   * it cannot follow the extent's writes any more (its owner may be gone before it could report us).
   */
  public void onRefused(Refusals r) {
    this.refusals = r;
  }

  /** Whether new data is refused (reported to meta: the chunk is no placement or recovery target meanwhile). */
  public boolean full() {
    return full.get() != null;
  }

  /** Why it is full, or empty. */
  public String reason() {
    String r = full.get();
    return r == null ? "" : r;
  }

  /** Writes that failed with ENOSPC since start (metric {@code basalt_chunk_no_space_errors}). */
  public long noSpaceErrors() {
    return noSpaceErrors.sum();
  }

  /** The usable bytes last seen. */
  public long usableBytes() {
    return usableBytes;
  }

  public long reserveBytes() {
    return reserveBytes;
  }

  /** A write failed with ENOSPC: full until {@link #poll} sees space back. */
  void noSpace(String what) {
    noSpace(0, what);
  }

  /** As {@link #noSpace(String)} for a write of extent {@code pid}. */
  void noSpace(long pid, String what) {
    noSpaceErrors.increment();
    markFull("ENOSPC: " + what);
    if (pid != 0) refused(pid, "ENOSPC: " + what);
  }

  /**
   * Refuses new data while full: NO_SPACE, not retryable here (the caller moves the write elsewhere, see the owner
   * and the replicate paths). Nothing was written.
   */
  void checkWritable(String op, long pid) {
    if (nanoClock.getAsLong() - checkedAtNanos > REFRESH_NANOS || !checked) refresh();
    String why = full.get();
    if (why != null) {
      refused(pid, why);
      throw new BasaltException(ErrorCode.NO_SPACE, op + " refused: disk full dir=" + dir + " pid=" + pid + " ("
          + why + ")", false);
    }
  }

  /** Whether usable space is below what one more write needs (the second ENOSPC signal of {@link NoSpace}). */
  boolean looksFull() {
    refresh();
    return usableBytes < Math.max(reserveBytes, 1 << 20);
  }

  /**
   * Re-reads usable space; marks full below the reserve, clears full at twice the reserve once the probe write
   * succeeds. Heartbeat thread (the probe is a synced write: never on a pid thread).
   */
  public void poll() {
    refresh();
    String why = full.get();
    if (why == null || usableBytes < 2 * reserveBytes) return;
    try {
      probe.write();
    } catch (Exception e) {
      if (!probeFailing) { // once per wait: RocksDB takes a few seconds to resume
        log.info("disk has space again but the store cannot write yet dir={} usableBytes={} error={}", dir,
            usableBytes, e.toString());
      }
      probeFailing = true;
      return;
    }
    probeFailing = false;
    if (full.compareAndSet(why, null)) {
      log.warn("disk no longer full dir={} usableBytes={} reserveBytes={} was={}", dir, usableBytes, reserveBytes, why);
    }
  }

  private void refused(long pid, String why) {
    try {
      refusals.refused(pid, why);
    } catch (RuntimeException e) {
      log.warn("no-space listener failed dir={} pid={} error={}", dir, pid, e.toString());
    }
  }

  private void refresh() {
    long now = nanoClock.getAsLong();
    try {
      usableBytes = usable.bytes();
    } catch (IOException | RuntimeException e) {
      log.warn("cannot read usable space dir={} error={}", dir, e.toString());
      return;
    } finally {
      checkedAtNanos = now;
      checked = true;
    }
    if (usableBytes < reserveBytes) markFull("usableBytes=" + usableBytes + " below reserveBytes=" + reserveBytes);
  }

  private void markFull(String why) {
    if (full.compareAndSet(null, why)) {
      log.error("disk full, refusing new data (reads go on) dir={} usableBytes={} reserveBytes={} reason={}", dir,
          usableBytes, reserveBytes, why);
    }
  }
}
