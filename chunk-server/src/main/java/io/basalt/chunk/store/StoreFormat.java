package io.basalt.chunk.store;

import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code meta} column family: format version, cluster id and cid. The version is checked at open so a newer
 * on-disk layout is refused rather than misread.
 *
 * <p>Versions: 1 = meta, extents, blocks; 2 = adds the {@code genlog} column family ({@link GenLog}); 3 = block data
 * in {@link ExtentFiles}, the {@code blocks} family holding {@link BlockRecord}s (slot + CRC) instead of data + CRC.
 * Older stores are upgraded in place at open. 1 to 2: every replica gets an empty log whose floor is its current gen
 * (so only a later change can be caught up incrementally), in one batch with the new version. 2 to 3: every block's
 * data is written to slot 0 of its replica's file, synced, then its value replaced by its record, a batch at a time;
 * an upgrade cut short redoes the blocks still in the old form and then sets the version.
 */
final class StoreFormat {
  static final int FORMAT_VERSION = 3;
  private static final int UPGRADE_BATCH_BLOCKS = 1024;
  private static final Logger log = LoggerFactory.getLogger(StoreFormat.class);
  private static final byte[] KEY_FORMAT = utf8("format_version");
  private static final byte[] KEY_CLUSTER = utf8("cluster_id");
  private static final byte[] KEY_CID = utf8("cid");

  private StoreFormat() {}

  /** Writes the format version into a new store, upgrades a version 1 store, or checks the one found. */
  static void checkOrInit(RocksHandles h, ExtentFiles files) throws RocksDBException, IOException {
    byte[] v = h.db.get(h.meta, KEY_FORMAT);
    if (v == null) {
      h.db.put(h.meta, h.syncWrite, KEY_FORMAT, version(FORMAT_VERSION));
      return;
    }
    int found = v.length == 4 ? BlockKeys.getInt(v, 0) : -1;
    if (found == 1) {
      upgradeFromV1(h);
      found = 2;
    }
    if (found == 2) {
      upgradeFromV2(h, files);
    } else if (found != FORMAT_VERSION) {
      throw new BasaltException(ErrorCode.IO_ERROR, "unsupported store format version="
          + (v.length == 4 ? BlockKeys.getInt(v, 0) : -1) + " expected=" + FORMAT_VERSION);
    }
  }

  private static void upgradeFromV1(RocksHandles h) throws RocksDBException {
    int replicas = 0;
    try (WriteBatch batch = new WriteBatch(); RocksIterator it = h.db.newIterator(h.extents, h.read)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        long pid = BlockKeys.pid(it.key());
        ReplicaMeta m = ReplicaMetaCodec.decode(pid, it.value());
        batch.put(h.genlog, BlockKeys.pidKey(pid), GenLog.encodeFloor(m.gen()));
        replicas++;
      }
      it.status();
      batch.put(h.meta, KEY_FORMAT, version(2));
      h.db.write(h.syncWrite, batch);
    }
    log.info("replica store upgraded formatVersion=1->2 replicas={}", replicas);
  }

  private static void upgradeFromV2(RocksHandles h, ExtentFiles files) throws RocksDBException, IOException {
    long blocks = 0;
    try (RocksIterator it = h.db.newIterator(h.blocks, h.read)) {
      WriteBatch batch = new WriteBatch();
      Set<Long> pids = new HashSet<>();
      try {
        for (it.seekToFirst(); it.isValid(); it.next()) {
          byte[] key = it.key();
          byte[] value = it.value();
          if (value.length == BlockRecord.SIZE) continue; // converted by an upgrade that was cut short
          long pid = BlockKeys.pid(key);
          int index = BlockKeys.index(key);
          if (!BlockValueCodec.legacyIntact(value)) {
            throw new BasaltException(ErrorCode.IO_ERROR, "format 2 to 3 upgrade: crc mismatch pid=" + pid
                + " block=" + index + " valueLength=" + value.length + "; the store needs repair before upgrade");
          }
          files.write(pid, 0, index, ByteBuffer.wrap(value, 0, BlockValueCodec.DATA_SIZE));
          batch.put(h.blocks, key, new BlockRecord(0, BlockKeys.getInt(value, BlockValueCodec.DATA_SIZE)).encode());
          pids.add(pid);
          if (++blocks % UPGRADE_BATCH_BLOCKS == 0) {
            commitUpgrade(h, files, batch, pids);
            batch.close();
            batch = new WriteBatch();
          }
        }
        it.status();
        commitUpgrade(h, files, batch, pids);
      } finally {
        batch.close();
      }
    }
    h.db.put(h.meta, h.syncWrite, KEY_FORMAT, version(FORMAT_VERSION));
    log.info("replica store upgraded formatVersion=2->{} blocks={} (block data moved to extent files)",
        FORMAT_VERSION, blocks);
  }

  /** Data synced before the records that name it. */
  private static void commitUpgrade(RocksHandles h, ExtentFiles files, WriteBatch batch, Set<Long> pids)
      throws RocksDBException, IOException {
    for (long pid : pids) files.sync(pid);
    pids.clear();
    h.db.write(h.syncWrite, batch);
  }

  private static byte[] version(int version) {
    byte[] v = new byte[4];
    BlockKeys.putInt(v, 0, version);
    return v;
  }

  static Optional<ChunkIdentity> identity(RocksHandles h) throws RocksDBException {
    byte[] cluster = h.db.get(h.meta, h.read, KEY_CLUSTER);
    byte[] cid = h.db.get(h.meta, h.read, KEY_CID);
    if (cluster == null || cid == null) return Optional.empty();
    if (cid.length != 4) throw new BasaltException(ErrorCode.IO_ERROR, "corrupt cid length=" + cid.length);
    return Optional.of(new ChunkIdentity(new String(cluster, StandardCharsets.UTF_8), BlockKeys.getInt(cid, 0)));
  }

  /** Both keys in one batch so a crash never leaves a cluster id without its cid. */
  static void addIdentity(WriteBatch batch, RocksHandles h, ChunkIdentity identity) throws RocksDBException {
    byte[] cid = new byte[4];
    BlockKeys.putInt(cid, 0, identity.cid());
    batch.put(h.meta, KEY_CLUSTER, utf8(identity.clusterId()));
    batch.put(h.meta, KEY_CID, cid);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
