package io.basalt.meta.store;

import com.google.protobuf.InvalidProtocolBufferException;
import io.basalt.failpoint.Failpoints;
import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link MetaStore} on ZooKeeper through Curator, in the layout of {@link ZkPaths}. Owns the fencing token and
 * the set of record znodes known to exist (so a page write is a create or a setData inside one multi).
 *
 * <p>Threads: blocking calls on the elector thread; {@link #commit} from the MetaLoop, one at a time, completing
 * on Curator's event thread. The token and the known-path set are safe to read from any thread.
 */
public final class ZkMetaStore implements MetaStore {
  private static final Logger log = LoggerFactory.getLogger(ZkMetaStore.class);

  private final CuratorFramework client;
  private final ZkPaths paths;
  private final Set<String> known = ConcurrentHashMap.newKeySet();
  private final AtomicReference<FencingToken> token = new AtomicReference<>();
  private final Failpoints failpoints;

  public ZkMetaStore(CuratorFramework client, ZkPaths paths) {
    this(client, paths, new Failpoints());
  }

  /** With fault-injection points {@code meta.zk.before-write} and {@code meta.zk.after-write} (tests). */
  public ZkMetaStore(CuratorFramework client, ZkPaths paths, Failpoints failpoints) {
    this.failpoints = failpoints;
    this.client = client;
    this.paths = paths;
  }

  public ZkPaths paths() {
    return paths;
  }

  @Override
  public FencingToken token() {
    return token.get();
  }

  @Override
  public void ensureLayout() {
    for (String p : List.of(paths.meta(), paths.chunks(), paths.volumes(), paths.pextents(), paths.config(),
        paths.scrub())) {
      try {
        client.create().creatingParentsIfNeeded().forPath(p, new byte[0]);
      } catch (KeeperException.NodeExistsException e) {
        // already there
      } catch (Exception e) {
        throw ZkErrors.translate(e, "ensure layout");
      }
    }
  }

  @Override
  public FencingToken claimLeadership() {
    ensureLayout();
    FencingToken claimed = bumpEpoch();
    token.set(claimed);
    ensureClusterId(claimed);
    log.info("claimed meta leadership epoch={} zkVersion={} cluster={}", claimed.epoch(), claimed.zkVersion(),
        paths.cluster());
    return claimed;
  }

  private FencingToken bumpEpoch() {
    String path = paths.epoch();
    try {
      while (true) {
        Stat stat = new Stat();
        byte[] data;
        try {
          data = client.getData().storingStatIn(stat).forPath(path);
        } catch (KeeperException.NoNodeException e) {
          try {
            Stat created = new Stat();
            client.create().storingStatIn(created).forPath(path, encodeLong(1));
            return new FencingToken(1, created.getVersion());
          } catch (KeeperException.NodeExistsException race) {
            continue;
          }
        }
        long next = decodeLong(data, path) + 1;
        try {
          Stat written = client.setData().withVersion(stat.getVersion()).forPath(path, encodeLong(next));
          return new FencingToken(next, written.getVersion());
        } catch (KeeperException.BadVersionException race) {
          log.warn("meta/epoch moved while claiming, retrying seenVersion={}", stat.getVersion());
        }
      }
    } catch (Exception e) {
      throw ZkErrors.translate(e, "bump meta/epoch");
    }
  }

  private void ensureClusterId(FencingToken t) {
    try {
      if (client.checkExists().forPath(paths.clusterId()) != null) {
        return;
      }
      String id = UUID.randomUUID().toString();
      client.transaction().forOperations(
          client.transactionOp().check().withVersion(t.zkVersion()).forPath(paths.epoch()),
          client.transactionOp().create().forPath(paths.clusterId(), id.getBytes(StandardCharsets.UTF_8)));
      log.info("created cluster-id={} cluster={}", id, paths.cluster());
    } catch (KeeperException.NodeExistsException e) {
      // another leader created it first
    } catch (KeeperException.BadVersionException e) {
      throw fenced(t, "creating cluster-id");
    } catch (Exception e) {
      throw ZkErrors.translate(e, "create cluster-id");
    }
  }

  @Override
  public MetaImage load() {
    FencingToken t = requireToken();
    try {
      ZkImageReader.Loaded image = new ZkImageReader(client, paths).read();
      known.clear();
      known.addAll(image.knownPaths());
      log.info("loaded metadata epoch={} chunks={} volumes={} pextents={} clusterId={}", t.epoch(),
          image.image().chunks().size(), image.image().volumes().size(), image.image().pextents().size(),
          image.image().clusterId());
      return image.image();
    } catch (Exception e) {
      throw ZkErrors.translate(e, "load metadata");
    }
  }

  @Override
  public CompletableFuture<Void> commit(MutationBatch batch) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    FencingToken t = token.get();
    if (t == null) {
      done.completeExceptionally(new FencedException(0, "no meta leadership claimed"));
      return done;
    }
    ZkBatchWriter writer = new ZkBatchWriter(client, paths, known);
    try {
      failpoints.inject("meta.zk.before-write");
      List<CuratorOp> ops = writer.build(t, batch);
      client.transaction()
          .inBackground((c, event) -> completed(t, batch, writer.changes(), event, done))
          .forOperations(ops);
    } catch (Exception e) {
      done.completeExceptionally(ZkErrors.translate(e, "commit " + batch));
    }
    return done;
  }

  private void completed(FencingToken t, MutationBatch batch, Map<String, Boolean> changes, CuratorEvent event,
      CompletableFuture<Void> done) {
    KeeperException.Code code = KeeperException.Code.get(event.getResultCode());
    if (code == KeeperException.Code.OK) {
      changes.forEach((path, exists) -> {
        if (exists) {
          known.add(path);
        } else {
          known.remove(path);
        }
      });
      log.debug("committed epoch={} ops={}", t.epoch(), batch);
      try {
        failpoints.inject("meta.zk.after-write");
      } catch (RuntimeException e) {
        done.completeExceptionally(e);
        return;
      }
      done.complete(null);
      return;
    }
    List<CuratorTransactionResult> results = event.getOpResults();
    int first = results == null || results.isEmpty() ? 0 : results.get(0).getError();
    if (ZkErrors.fenced(code, first)) {
      done.completeExceptionally(fenced(t, "commit " + batch));
    } else {
      log.warn("commit failed epoch={} code={} ops={}", t.epoch(), code, batch);
      done.completeExceptionally(ZkErrors.translate(code, "commit " + batch));
    }
  }

  @Override
  public void publishActive(String address) {
    FencingToken t = requireToken();
    byte[] data = address.getBytes(StandardCharsets.UTF_8);
    for (int attempt = 0; ; attempt++) {
      try {
        boolean exists = client.checkExists().forPath(paths.active()) != null;
        CuratorOp check = client.transactionOp().check().withVersion(t.zkVersion()).forPath(paths.epoch());
        CuratorOp create = client.transactionOp().create().withMode(CreateMode.EPHEMERAL).forPath(paths.active(), data);
        if (exists) {
          client.transaction().forOperations(check, client.transactionOp().delete().forPath(paths.active()), create);
        } else {
          client.transaction().forOperations(check, create);
        }
        log.info("published meta/active address={} epoch={}", address, t.epoch());
        return;
      } catch (KeeperException.BadVersionException e) {
        throw fenced(t, "publishing meta/active");
      } catch (KeeperException.NoNodeException | KeeperException.NodeExistsException e) {
        if (attempt >= 3) {
          throw ZkErrors.translate(e, "publish meta/active");
        }
      } catch (Exception e) {
        throw ZkErrors.translate(e, "publish meta/active");
      }
    }
  }

  @Override
  public void releaseLeadership(String address) {
    FencingToken t = token.getAndSet(null);
    if (t == null) {
      return;
    }
    if (!client.getZookeeperClient().isConnected()) {
      log.info("released meta leadership epoch={} (disconnected: meta/active expires with the session)",
          t.epoch());
      return;
    }
    try {
      byte[] data = client.getData().forPath(paths.active());
      if (address.equals(new String(data, StandardCharsets.UTF_8))) {
        client.delete().forPath(paths.active());
      }
    } catch (KeeperException.NoNodeException e) {
      // not published or already gone
    } catch (Exception e) {
      log.warn("could not delete meta/active on release epoch={}: {}", t.epoch(), e.toString());
    }
    log.info("released meta leadership epoch={}", t.epoch());
  }

  @Override
  public void close() {
    token.set(null);
  }

  private FencingToken requireToken() {
    FencingToken t = token.get();
    if (t == null) {
      throw new FencedException(0, "no meta leadership claimed");
    }
    return t;
  }

  private FencedException fenced(FencingToken t, String what) {
    token.compareAndSet(t, null);
    log.warn("fenced: meta/epoch moved past ours while {} epoch={} zkVersion={}", what, t.epoch(), t.zkVersion());
    return new FencedException(t.epoch(), "deposed: meta epoch " + t.epoch() + " is no longer current (" + what + ")");
  }

  static byte[] encodeLong(long v) {
    return ByteBuffer.allocate(Long.BYTES).putLong(v).array();
  }

  static long decodeLong(byte[] data, String path) {
    if (data == null || data.length != Long.BYTES) {
      throw new BasaltException(ErrorCode.INTERNAL, "corrupt counter at " + path, false);
    }
    return ByteBuffer.wrap(data).getLong();
  }

  static BasaltException corrupt(String path, InvalidProtocolBufferException e) {
    return new BasaltException(ErrorCode.INTERNAL, "corrupt record at " + path + ": " + e.getMessage(), false, e);
  }
}
