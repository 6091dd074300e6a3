package io.basalt.meta.store;

import io.basalt.meta.store.MutationBatch.DeleteVolume;
import io.basalt.meta.store.MutationBatch.Op;
import io.basalt.meta.store.MutationBatch.PutChunk;
import io.basalt.meta.store.MutationBatch.PutIds;
import io.basalt.meta.store.MutationBatch.PutMapPage;
import io.basalt.meta.store.MutationBatch.PutPExtentPage;
import io.basalt.meta.store.MutationBatch.PutRecoveryThrottle;
import io.basalt.meta.store.MutationBatch.PutScrubPage;
import io.basalt.meta.store.MutationBatch.PutScrubThrottle;
import io.basalt.meta.store.MutationBatch.PutVolume;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.api.transaction.TransactionOp;

/**
 * Turns a {@link MutationBatch} into Curator transaction ops: create or setData depending on whether the znode
 * exists (from the store's set of known paths plus this batch's own creates/deletes), children deleted before
 * their parents. The first op is always the fencing check.
 *
 * <p>Thread: one instance per commit, on the MetaLoop thread.
 */
final class ZkBatchWriter {
  private final TransactionOp tx;
  private final ZkPaths paths;
  private final Set<String> known;
  /** path -> exists after this batch, for paths this batch touches. */
  private final Map<String, Boolean> overlay = new HashMap<>();
  private final List<CuratorOp> ops = new ArrayList<>();

  ZkBatchWriter(CuratorFramework client, ZkPaths paths, Set<String> known) {
    this.tx = client.transactionOp();
    this.paths = paths;
    this.known = known;
  }

  List<CuratorOp> build(FencingToken token, MutationBatch batch) throws Exception {
    ops.add(tx.check().withVersion(token.zkVersion()).forPath(paths.epoch()));
    for (Op op : batch.ops()) {
      add(op);
    }
    return ops;
  }

  /** Paths whose existence this batch changes: true = created, false = deleted. */
  Map<String, Boolean> changes() {
    return overlay;
  }

  private void add(Op op) throws Exception {
    if (op instanceof PutChunk c) {
      put(paths.chunk(c.chunk().getCid()), c.chunk().toByteArray());
    } else if (op instanceof PutVolume v) {
      long vid = v.volume().getVid();
      put(paths.volume(vid), v.volume().toByteArray());
      if (!exists(paths.volumeMap(vid))) {
        put(paths.volumeMap(vid), new byte[0]);
      }
    } else if (op instanceof DeleteVolume d) {
      deleteVolume(d.vid());
    } else if (op instanceof PutMapPage m) {
      put(paths.mapPage(m.vid(), m.page()), m.map().toByteArray());
    } else if (op instanceof PutPExtentPage p) {
      String path = paths.pextentPage(p.page());
      if (p.pextents().getPextentsCount() > 0) {
        put(path, p.pextents().toByteArray());
      } else if (exists(path)) {
        delete(path);
      }
    } else if (op instanceof PutIds i) {
      put(paths.ids(), i.ids().toByteArray());
    } else if (op instanceof PutRecoveryThrottle r) {
      put(paths.recoveryThrottle(), r.throttle().toByteArray());
    } else if (op instanceof PutScrubPage s) {
      String path = paths.scrubPage(s.page());
      if (s.records().getRecordsCount() > 0) {
        put(path, s.records().toByteArray());
      } else if (exists(path)) {
        delete(path);
      }
    } else if (op instanceof PutScrubThrottle s) {
      put(paths.scrubThrottle(), s.throttle().toByteArray());
    } else {
      throw new IllegalArgumentException("unknown op " + op);
    }
  }

  private void deleteVolume(long vid) throws Exception {
    String mapPrefix = paths.volumeMap(vid) + "/";
    List<String> pages = new ArrayList<>();
    for (String p : known) {
      if (p.startsWith(mapPrefix) && exists(p)) {
        pages.add(p);
      }
    }
    overlay.forEach((p, exists) -> {
      if (exists && p.startsWith(mapPrefix) && !pages.contains(p)) {
        pages.add(p);
      }
    });
    pages.sort(Comparator.naturalOrder());
    for (String p : pages) {
      delete(p);
    }
    if (exists(paths.volumeMap(vid))) {
      delete(paths.volumeMap(vid));
    }
    if (exists(paths.volume(vid))) {
      delete(paths.volume(vid));
    }
  }

  private boolean exists(String path) {
    Boolean o = overlay.get(path);
    return o != null ? o : known.contains(path);
  }

  private void put(String path, byte[] data) throws Exception {
    if (exists(path)) {
      ops.add(tx.setData().forPath(path, data));
    } else {
      ops.add(tx.create().forPath(path, data));
      overlay.put(path, true);
    }
  }

  private void delete(String path) throws Exception {
    ops.add(tx.delete().forPath(path));
    overlay.put(path, false);
  }
}
