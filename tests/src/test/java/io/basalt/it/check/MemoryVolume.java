package io.basalt.it.check;

import io.basalt.client.volume.Volume;
import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.LongPredicate;

/**
 * A linearizable in-memory {@link Volume} for the checkers' fast tests, completing on its own threads, with faults
 * to inject: writes that time out (applied or not), writes acked but never applied (a lost write), and reads served
 * from a stale copy. Each op applies atomically under the volume's lock. Also counts writes per extent (the
 * "generation" the fake cluster reports).
 *
 * <p>It also has a disk under a volatile cache, for power cuts: a FLUSH persists every block written before it, a
 * FUA write persists itself, and {@link #powerCut} brings back what was persisted. Faults there: flushes that skip
 * some blocks, FUA ignored, and torn blocks (garbage) where unpersisted writes were.
 */
final class MemoryVolume implements Volume {
  private final String name;
  private final byte[] data; // guarded by this
  private final byte[] stale; // guarded by this: what a lagging replica would serve
  private final long[] gens; // guarded by this: writes per extent
  private final byte[] durable; // guarded by this: what survives a power cut
  private final BitSet dirty = new BitSet(); // guarded by this: blocks written since they were last persisted
  private final long extentSize;
  private final ExecutorService exec = Executors.newFixedThreadPool(2, r -> {
    Thread t = new Thread(r, "memory-volume");
    t.setDaemon(true);
    return t;
  });
  private volatile LongPredicate lostWrite = lba -> false;
  private volatile LongPredicate staleRead = lba -> false;
  private volatile int timeoutPercent;
  private volatile LongPredicate flushSkips = lba -> false;
  private volatile boolean ignoreFua;
  private final Random random = new Random(5);

  MemoryVolume(String name, long size, long extentSize) {
    this.name = name;
    this.data = new byte[(int) size];
    this.stale = new byte[(int) size];
    this.durable = new byte[(int) size];
    this.extentSize = extentSize;
    this.gens = new long[(int) ((size + extentSize - 1) / extentSize)];
  }

  /** Writes covering a matching LBA are acked but not applied. */
  MemoryVolume losingWritesTo(LongPredicate lba) {
    this.lostWrite = lba;
    return this;
  }

  /** Reads whose first LBA matches are served from the copy as of the previous write. */
  MemoryVolume servingStaleReadsOf(LongPredicate lba) {
    this.staleRead = lba;
    return this;
  }

  /** Flushes never persist a matching LBA (a FUA write still does). */
  MemoryVolume forgettingFlushesOf(LongPredicate lba) {
    this.flushSkips = lba;
    return this;
  }

  /** FUA writes are acked without being persisted. */
  MemoryVolume ignoringFua() {
    this.ignoreFua = true;
    return this;
  }

  /**
   * Cuts the power: every block comes back as last persisted, or, {@code torn}, every block written since it was
   * last persisted comes back as garbage.
   */
  synchronized void powerCut(boolean torn) {
    System.arraycopy(durable, 0, data, 0, data.length);
    Random junk = new Random(dirty.cardinality());
    for (int b = dirty.nextSetBit(0); torn && b >= 0; b = dirty.nextSetBit(b + 1)) {
      byte[] g = new byte[BlockStamp.BLOCK];
      junk.nextBytes(g);
      System.arraycopy(g, 0, data, b * BlockStamp.BLOCK, g.length);
    }
    dirty.clear();
  }

  /** This share of writes fails with TIMEOUT, half of them applied anyway. */
  MemoryVolume timingOut(int percent) {
    this.timeoutPercent = percent;
    return this;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public long size() {
    return data.length;
  }

  @Override
  public int blockSize() {
    return BlockStamp.BLOCK;
  }

  @Override
  public CompletableFuture<ByteBuf> read(long offset, int length) {
    return CompletableFuture.supplyAsync(() -> {
      ByteBuf b = ByteBufAllocator.DEFAULT.buffer(length);
      synchronized (this) {
        boolean old = staleRead.test(offset / BlockStamp.BLOCK);
        b.writeBytes(old ? stale : data, (int) offset, length);
      }
      return b;
    }, exec);
  }

  @Override
  public CompletableFuture<Void> write(long offset, ByteBuf buf, boolean fua) {
    byte[] bytes = new byte[buf.readableBytes()];
    buf.readBytes(bytes);
    buf.release();
    return CompletableFuture.runAsync(() -> {
      boolean timeout;
      boolean apply;
      synchronized (this) {
        timeout = random.nextInt(100) < timeoutPercent;
        apply = !lost(offset, bytes.length) && (!timeout || random.nextBoolean());
        if (apply) {
          System.arraycopy(data, (int) offset, stale, (int) offset, bytes.length);
          System.arraycopy(bytes, 0, data, (int) offset, bytes.length);
          gens[(int) (offset / extentSize)]++;
          if (fua && !ignoreFua) {
            System.arraycopy(bytes, 0, durable, (int) offset, bytes.length);
          } else {
            dirty.set((int) (offset / BlockStamp.BLOCK), (int) ((offset + bytes.length) / BlockStamp.BLOCK));
          }
        }
      }
      if (timeout) {
        throw new BasaltException(ErrorCode.TIMEOUT, "injected timeout at offset " + offset, true);
      }
    }, exec);
  }

  private boolean lost(long offset, int length) {
    for (long lba = offset / BlockStamp.BLOCK; lba < (offset + length) / BlockStamp.BLOCK; lba++) {
      if (lostWrite.test(lba)) {
        return true;
      }
    }
    return false;
  }

  /** Persists every block written before the call (all of them: writes apply before they are acked). */
  @Override
  public CompletableFuture<Void> flush() {
    synchronized (this) {
      LongPredicate skip = flushSkips;
      for (int b = dirty.nextSetBit(0); b >= 0; b = dirty.nextSetBit(b + 1)) {
        if (!skip.test(b)) {
          System.arraycopy(data, b * BlockStamp.BLOCK, durable, b * BlockStamp.BLOCK, BlockStamp.BLOCK);
        }
      }
      dirty.clear();
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<Void> trim(long offset, long length) {
    return writeZeroes(offset, length, false);
  }

  @Override
  public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
    synchronized (this) {
      Arrays.fill(data, (int) offset, (int) (offset + length), (byte) 0);
      dirty.set((int) (offset / BlockStamp.BLOCK), (int) ((offset + length) / BlockStamp.BLOCK));
    }
    return CompletableFuture.completedFuture(null);
  }

  /** A copy of {@code [offset, offset + length)} as stored now. */
  synchronized byte[] bytes(long offset, int length) {
    return Arrays.copyOfRange(data, (int) offset, (int) offset + length);
  }

  synchronized long gen(int extentIndex) {
    return gens[extentIndex];
  }

  long extentSize() {
    return extentSize;
  }

  @Override
  public void close() {
    exec.shutdownNow();
  }
}
