package io.basalt.chunk.store;

import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * The {@code meta} column family: format version, cluster id and cid. The version is checked at open so a newer
 * on-disk layout is refused rather than misread.
 */
final class StoreFormat {
  static final int FORMAT_VERSION = 1;
  private static final byte[] KEY_FORMAT = utf8("format_version");
  private static final byte[] KEY_CLUSTER = utf8("cluster_id");
  private static final byte[] KEY_CID = utf8("cid");

  private StoreFormat() {}

  /** Writes the format version into a new store, or checks the one found. */
  static void checkOrInit(RocksHandles h) throws RocksDBException {
    byte[] v = h.db.get(h.meta, KEY_FORMAT);
    if (v == null) {
      byte[] version = new byte[4];
      BlockKeys.putInt(version, 0, FORMAT_VERSION);
      h.db.put(h.meta, h.syncWrite, KEY_FORMAT, version);
    } else if (v.length != 4 || BlockKeys.getInt(v, 0) != FORMAT_VERSION) {
      throw new BasaltException(ErrorCode.IO_ERROR, "unsupported store format version="
          + (v.length == 4 ? BlockKeys.getInt(v, 0) : -1) + " expected=" + FORMAT_VERSION);
    }
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
