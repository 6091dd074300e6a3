package io.basalt.chunk.store;

import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;

/**
 * The {@code meta} column family: format version, cluster id and cid. The version is checked at open so a newer
 * on-disk layout is refused rather than misread.
 *
 * <p>Versions: 1 = meta, extents, blocks; 2 = adds the {@code genlog} column family ({@link GenLog}). A version 1
 * store is upgraded in place at open: every replica gets an empty log whose floor is its current gen (so only a
 * later change can be caught up incrementally), in one batch with the new version.
 */
final class StoreFormat {
  static final int FORMAT_VERSION = 2;
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(StoreFormat.class);
  private static final byte[] KEY_FORMAT = utf8("format_version");
  private static final byte[] KEY_CLUSTER = utf8("cluster_id");
  private static final byte[] KEY_CID = utf8("cid");

  private StoreFormat() {}

  /** Writes the format version into a new store, upgrades a version 1 store, or checks the one found. */
  static void checkOrInit(RocksHandles h) throws RocksDBException {
    byte[] v = h.db.get(h.meta, KEY_FORMAT);
    if (v == null) {
      h.db.put(h.meta, h.syncWrite, KEY_FORMAT, version(FORMAT_VERSION));
    } else if (v.length == 4 && BlockKeys.getInt(v, 0) == 1) {
      upgradeFromV1(h);
    } else if (v.length != 4 || BlockKeys.getInt(v, 0) != FORMAT_VERSION) {
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
      batch.put(h.meta, KEY_FORMAT, version(FORMAT_VERSION));
      h.db.write(h.syncWrite, batch);
    }
    log.info("replica store upgraded formatVersion=1->{} replicas={}", FORMAT_VERSION, replicas);
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
