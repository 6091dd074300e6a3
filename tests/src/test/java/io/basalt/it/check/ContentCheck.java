package io.basalt.it.check;

import io.basalt.client.volume.Volume;
import io.basalt.it.cluster.ClusterView;
import io.basalt.proto.ExtentInfo;
import io.basalt.rpc.BasaltException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * I1 after healing (TESTPLAN 3.3 end): every block of the volume read back through the {@link Volume} and from
 * every replica directly (bypassing the owner) must hold its last acked stamp or a later in-doubt one, never older,
 * never garbage; replicas of one extent must also be byte-identical block by block. Every problem names the pid, the
 * LBA and the extent's replicas with their generations and hashes.
 */
final class ContentCheck {
  private static final int PIECE = 1 << 20;

  private final ClusterView view;
  private final Volume volume;
  private final BlockModel model;
  private final long extentBytes;
  private final Duration readTimeout;
  private final Consumer<String> problem;
  private long blocksVerified;

  ContentCheck(ClusterView view, Volume volume, BlockModel model, long extentBytes, Duration readTimeout,
      Consumer<String> problem) {
    this.view = view;
    this.volume = volume;
    this.model = model;
    this.extentBytes = extentBytes;
    this.readTimeout = readTimeout;
    this.problem = problem;
  }

  /** Checks every extent of the volume; {@code statuses} by extent index (allocated extents only). */
  long run(Map<Integer, ExtentStatuses> statuses) {
    long blocks = model.blocks();
    long extentBlocks = extentBytes / BlockStamp.BLOCK;
    for (long index = 0; index * extentBlocks < blocks; index++) {
      long first = index * extentBlocks;
      long end = Math.min(blocks, first + extentBlocks);
      ExtentStatuses st = statuses.get((int) index);
      String ctx = st == null ? "pid=none (extent " + index + " not allocated)" : st.context();
      if (volume != null) {
        checkSource(first, end, "volume", st, ctx, off -> readVolume(first * BlockStamp.BLOCK + off,
            pieceLength(first, end, off)));
      }
      if (st != null) {
        checkReplicas(first, end, st, ctx);
      }
    }
    return blocksVerified;
  }

  private void checkReplicas(long first, long end, ExtentStatuses st, String ctx) {
    ExtentInfo e = st.extent();
    int n = e.getReplicaAddressesCount();
    byte[][] data = new byte[n][];
    for (int i = 0; i < n; i++) {
      String address = e.getReplicaAddresses(i);
      String where = "replica cid=" + (i < e.getReplicasCount() ? e.getReplicas(i) : 0) + " (" + address + ")";
      data[i] = checkSource(first, end, where, st, ctx, off -> view.readReplica(address, e.getPid(),
          inExtent(first) + off, pieceLength(first, end, off)));
    }
    for (long lba = first; lba < end; lba++) {
      int at = (int) ((lba - first) * BlockStamp.BLOCK);
      for (int i = 1; i < n; i++) {
        if (data[0] != null && data[i] != null && !Arrays.equals(data[0], at, at + BlockStamp.BLOCK, data[i], at,
            at + BlockStamp.BLOCK)) {
          problem.accept("replicas differ: pid=" + e.getPid() + " lba=" + lba + " offset=" + inExtent(lba)
              + ": cid " + e.getReplicas(0) + " holds " + BlockStamp.decode(data[0], at, lba) + ", cid "
              + e.getReplicas(i) + " holds " + BlockStamp.decode(data[i], at, lba) + " [" + ctx + "]");
        }
      }
    }
  }

  private interface Reader {
    byte[] read(int offsetInRange);
  }

  /** Reads {@code [first, end)} from one source piece by piece, checks every block; returns the bytes or null. */
  private byte[] checkSource(long first, long end, String where, ExtentStatuses st, String ctx, Reader reader) {
    int length = (int) ((end - first) * BlockStamp.BLOCK);
    byte[] all = new byte[length];
    for (int off = 0; off < length; off += PIECE) {
      byte[] piece;
      try {
        piece = reader.read(off);
      } catch (RuntimeException ex) {
        problem.accept("read failed from " + where + ": lba=" + (first + off / BlockStamp.BLOCK) + " " + ex
            + " [" + ctx + "]");
        return null;
      }
      if (piece.length != pieceLength(first, end, off)) {
        problem.accept("short read from " + where + ": lba=" + (first + off / BlockStamp.BLOCK) + " got "
            + piece.length + " bytes [" + ctx + "]");
        return null;
      }
      System.arraycopy(piece, 0, all, off, piece.length);
    }
    for (long lba = first; lba < end; lba++) {
      long at = lba;
      BlockStamp.Result got = BlockStamp.decode(all, (int) ((lba - first) * BlockStamp.BLOCK), lba);
      model.checkFinal(lba, got, where).ifPresent(v -> problem.accept(v.rule() + ": pid=" + pid(st) + " lba=" + at
          + " offset=" + inExtent(at) + " " + v.detail() + " [" + ctx + "]"));
      blocksVerified++;
    }
    return all;
  }

  private byte[] readVolume(long offset, int length) {
    try {
      // copied and released on the completing thread: nothing leaks if the wait below gives up
      return volume.read(offset, length).thenApply(ContentCheck::copyAndRelease)
          .get(readTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw BasaltException.of(e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("volume read at " + offset + " got no reply within " + readTimeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static int pieceLength(long first, long end, int off) {
    return (int) Math.min(PIECE, (end - first) * BlockStamp.BLOCK - off);
  }

  private long inExtent(long lba) {
    return lba * BlockStamp.BLOCK % extentBytes;
  }

  private static String pid(ExtentStatuses st) {
    return st == null ? "none" : String.valueOf(st.extent().getPid());
  }

  private static byte[] copyAndRelease(ByteBuf b) {
    try {
      return ByteBufUtil.getBytes(b);
    } finally {
      b.release();
    }
  }
}
