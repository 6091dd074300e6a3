package io.basalt.chunk.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Block data of format 3 stores: per replica two sparse files, {@code extents/<pid hex>.0} and {@code .1} (the two
 * slots of {@link BlockRecord}), block {@code i} at byte {@code i * 4096} of each. Data goes through the page cache
 * with plain positional reads and writes: a 1 MiB write or read is one system call, and our own CRC (the JDK's
 * CRC32C intrinsic) is the only checksum pass over it, where RocksDB's WAL and blob files each made a software
 * CRC32C pass and a copy.
 *
 * <p>Durability: a write lands in the page cache before its record is committed (so an acknowledged write survives
 * kill -9); {@link #syncDirty()} runs before every WAL sync (FLUSH/FUA) so a synced record never names unsynced data.
 *
 * <p>Threads: any. Channels are opened once per file and shared (positional I/O needs no lock); a channel closed
 * under a caller (an interrupted thread closes a FileChannel for everyone) is reopened.
 */
final class ExtentFiles implements AutoCloseable {
  static final int BLOCK = ReplicaStore.BLOCK_SIZE;
  private static final String DIR = "extents";

  private final Path dir;
  private final ConcurrentHashMap<Long, FileChannel[]> open = new ConcurrentHashMap<>();
  /** Files written since their last sync: a FLUSH syncs only the slot files it must. */
  private final Set<SlotFile> dirty = ConcurrentHashMap.newKeySet();
  /** Positional reads made (tests: how many system calls a read path takes). */
  private final LongAdder reads = new LongAdder();

  private record SlotFile(long pid, int slot) {}

  ExtentFiles(Path storeDir) throws IOException {
    this.dir = storeDir.resolve(DIR);
    Files.createDirectories(dir);
  }

  Path file(long pid, int slot) {
    return dir.resolve(String.format("%016x.%d", pid, slot));
  }

  /** Writes every remaining byte of {@code src} at block {@code block} of the slot file; marks the pid dirty. */
  void write(long pid, int slot, long block, ByteBuffer src) throws IOException {
    writeAt(pid, slot, block * BLOCK, src);
  }

  /** As {@link #write} at byte {@code pos}. */
  void writeAt(long pid, int slot, long pos, ByteBuffer src) throws IOException {
    int start = src.position();
    for (int attempt = 0; ; attempt++) {
      FileChannel ch = channel(pid, slot, true);
      try {
        while (src.hasRemaining()) ch.write(src, pos + src.position() - start);
        dirty.add(new SlotFile(pid, slot));
        return;
      } catch (ClosedChannelException e) {
        if (attempt > 0 || Thread.currentThread().isInterrupted()) throw e;
        src.position(start);
        forget(pid, slot, ch);
      }
    }
  }

  /**
   * Fills {@code dst} (every remaining byte) from block {@code block} of the slot file; bytes past the end of the
   * file (never written) read as zeros.
   */
  void read(long pid, int slot, long block, ByteBuffer dst) throws IOException {
    reads.increment();
    long pos = block * BLOCK;
    for (int attempt = 0; ; attempt++) {
      FileChannel ch = channel(pid, slot, false);
      if (ch == null) {
        zero(dst);
        return;
      }
      int start = dst.position();
      try {
        while (dst.hasRemaining()) {
          int n = ch.read(dst, pos + dst.position() - start);
          if (n < 0) {
            zero(dst);
            break;
          }
        }
        return;
      } catch (ClosedChannelException e) {
        if (attempt > 0 || Thread.currentThread().isInterrupted()) throw e;
        dst.position(start);
        forget(pid, slot, ch);
      }
    }
  }

  /** Syncs the slot files of one pid written since their last sync. */
  synchronized void sync(long pid) throws IOException {
    for (int slot = 0; slot < 2; slot++) syncFile(new SlotFile(pid, slot));
  }

  /** Syncs every file written since its last sync (before a WAL sync: FLUSH, FUA). */
  synchronized void syncDirty() throws IOException {
    for (SlotFile file : dirty) {
      syncFile(file);
    }
  }

  /**
   * Syncs are serialised (this object's lock): a sync that finds a file clean must not return while another sync
   * that took the same dirty mark is still forcing it (a FLUSH would then be acknowledged before a write it covers
   * was on disk).
   */
  private void syncFile(SlotFile file) throws IOException {
    if (!dirty.remove(file)) return;
    try {
      FileChannel ch = channel(file.pid(), file.slot(), false);
      if (ch != null) ch.force(false);
    } catch (IOException | RuntimeException e) {
      dirty.add(file);
      throw e;
    }
  }

  /** Positional reads made so far (tests). */
  long reads() {
    return reads.sum();
  }

  /** How many slot files were written since their last sync (tests). */
  int dirtyFiles() {
    return dirty.size();
  }

  /** Closes and deletes both slot files of {@code pid}. */
  void delete(long pid) throws IOException {
    FileChannel[] chs = open.remove(pid);
    if (chs != null) {
      for (FileChannel ch : chs) {
        if (ch != null) ch.close();
      }
    }
    dirty.remove(new SlotFile(pid, 0));
    dirty.remove(new SlotFile(pid, 1));
    Files.deleteIfExists(file(pid, 0));
    Files.deleteIfExists(file(pid, 1));
  }

  /** Apparent size of every data file (sparse files count their length, an upper bound of what they use). */
  long bytes() {
    long sum = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path p : files) {
        try {
          sum += Files.size(p);
        } catch (NoSuchFileException e) {
          // deleted meanwhile
        }
      }
    } catch (IOException e) {
      return sum;
    }
    return sum;
  }

  @Override
  public void close() {
    for (FileChannel[] chs : open.values()) {
      for (FileChannel ch : chs) {
        try {
          if (ch != null) ch.close();
        } catch (IOException ignored) {
          // closing: nothing left to do with it
        }
      }
    }
    open.clear();
  }

  /** The slot's channel; null when the file does not exist and {@code create} is false. */
  private FileChannel channel(long pid, int slot, boolean create) throws IOException {
    FileChannel[] chs = open.computeIfAbsent(pid, p -> new FileChannel[2]);
    FileChannel ch = chs[slot];
    if (ch != null && ch.isOpen()) return ch;
    synchronized (chs) {
      ch = chs[slot];
      if (ch != null && ch.isOpen()) return ch;
      Path p = file(pid, slot);
      try {
        ch = create
            ? FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)
            : FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
      } catch (NoSuchFileException e) {
        return null;
      }
      chs[slot] = ch;
      return ch;
    }
  }

  private void forget(long pid, int slot, FileChannel closed) {
    FileChannel[] chs = open.get(pid);
    if (chs == null) return;
    synchronized (chs) {
      if (chs[slot] == closed) chs[slot] = null;
    }
  }

  private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(64 * BLOCK).asReadOnlyBuffer();

  private static void zero(ByteBuffer dst) {
    while (dst.hasRemaining()) {
      dst.put(ZEROS.duplicate().limit(Math.min(dst.remaining(), ZEROS.capacity())));
    }
  }
}
