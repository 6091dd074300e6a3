package io.basalt.chunk.store;

import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Snapshot;

/**
 * Scrub's two reads of one replica: the light digest (records only, from one snapshot: no block data read, so a few
 * milliseconds even for a full extent) and the deep check (every block's data against its CRC).
 *
 * <p>The deep check reads data while writes go on. A block's committed slot is only overwritten after a newer record
 * committed (two slots, see {@link BlockRecord}), so a mismatch counts only when the block's record is the same
 * before and after the data was read: then that data is what the record vouches for, and it is wrong.
 *
 * <p>Thread-safe; callers run it on the pid thread (light, for a digest at an exact gen) or the io pool (deep).
 */
final class ScrubReader {
  private static final int DATA_SIZE = ReplicaStore.BLOCK_SIZE;

  private final RocksHandles h;
  private final ExtentFiles files;

  ScrubReader(RocksHandles h, ExtentFiles files) {
    this.h = h;
    this.files = files;
  }

  ScrubDigest digest(long pid, int rangeBlocks) throws RocksDBException {
    Snapshot snap = h.db.getSnapshot();
    try (ReadOptions ro = new ReadOptions().setSnapshot(snap).setFillCache(false);
        Slice upper = new Slice(BlockKeys.upperBound(pid))) {
      byte[] metaValue = h.db.get(h.extents, ro, BlockKeys.pidKey(pid));
      ro.setIterateUpperBound(upper);
      MessageDigest all = BlockReader.sha256();
      MessageDigest range = BlockReader.sha256();
      List<String> ranges = new ArrayList<>();
      int current = -1;
      boolean rangeHasBlocks = false;
      long count = 0;
      try (RocksIterator it = h.db.newIterator(h.blocks, ro)) {
        for (it.seek(BlockKeys.lowerBound(pid)); it.isValid(); it.next()) {
          byte[] key = it.key();
          if (key.length != BlockKeys.KEY_SIZE) {
            throw new BasaltException(ErrorCode.IO_ERROR, "corrupt block key pid=" + pid + " length=" + key.length);
          }
          int index = BlockKeys.index(key);
          byte[] v = it.value();
          BlockRecord r = BlockRecord.decode(v, v.length);
          if (r == null) {
            throw new BasaltException(ErrorCode.IO_ERROR, "corrupt block record pid=" + pid + " block=" + index);
          }
          int ri = index / rangeBlocks;
          while (current < ri) {
            if (current >= 0) ranges.add(rangeHasBlocks ? HexFormat.of().formatHex(range.digest()) : "");
            range.reset();
            rangeHasBlocks = false;
            current++;
          }
          byte[] crc = {(byte) (r.crc() >>> 24), (byte) (r.crc() >>> 16), (byte) (r.crc() >>> 8), (byte) r.crc()};
          all.update(key, 8, 4);
          all.update(crc);
          range.update(key, 8, 4);
          range.update(crc);
          rangeHasBlocks = true;
          count++;
        }
        it.status();
      }
      if (current >= 0) ranges.add(rangeHasBlocks ? HexFormat.of().formatHex(range.digest()) : "");
      ReplicaMeta meta = metaValue == null ? null : ReplicaMetaCodec.decode(pid, metaValue);
      return new ScrubDigest(pid, meta == null ? 0 : meta.epoch(), meta == null ? 0 : meta.gen(),
          HexFormat.of().formatHex(all.digest()), count, ranges);
    } finally {
      h.db.releaseSnapshot(snap);
    }
  }

  /** Blocks of {@code pid} whose data does not match their CRC (at most {@code max}); adds to {@code bytesRead}. */
  List<Long> badBlocks(long pid, int max, long[] bytesRead) throws RocksDBException, IOException {
    List<Long> bad = new ArrayList<>();
    ByteBuffer blk = ByteBuffer.allocateDirect(DATA_SIZE);
    try (ReadOptions ro = new ReadOptions().setFillCache(false);
        Slice upper = new Slice(BlockKeys.upperBound(pid))) {
      ro.setIterateUpperBound(upper);
      try (RocksIterator it = h.db.newIterator(h.blocks, ro)) {
        for (it.seek(BlockKeys.lowerBound(pid)); it.isValid() && bad.size() < max; it.next()) {
          byte[] key = it.key();
          byte[] v = it.value();
          BlockRecord r = key.length == BlockKeys.KEY_SIZE ? BlockRecord.decode(v, v.length) : null;
          int index = key.length == BlockKeys.KEY_SIZE ? BlockKeys.index(key) : -1;
          if (r == null) {
            if (index >= 0) bad.add((long) index);
            continue;
          }
          files.read(pid, r.slot(), index, blk.clear());
          bytesRead[0] += DATA_SIZE;
          if (BlockValueCodec.crc(blk, 0) != r.crc() && sameRecordNow(key, v)) bad.add((long) index);
        }
        it.status();
      }
    }
    return bad;
  }

  /** Whether the block's committed record is still {@code seen} (the data read belongs to it). */
  private boolean sameRecordNow(byte[] key, byte[] seen) throws RocksDBException {
    byte[] now = h.db.get(h.blocks, key);
    return now != null && Arrays.equals(now, seen);
  }
}
