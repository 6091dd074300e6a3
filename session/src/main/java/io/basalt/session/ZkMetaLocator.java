package io.basalt.session;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the active leader's address from ZooKeeper ({@code /basalt/<cluster>/meta/active}, an ephemeral znode the
 * leader creates once it has loaded its tables) and watches it: a new leader's address is taken as soon as it is
 * published, and its deletion (the old leader's ZooKeeper session ended) clears the cache, so callers stop dialling
 * a leader that went silent without waiting for their own timeouts. After {@link #invalidate} the next
 * {@link #leaderAddress} re-reads ZooKeeper (blocking; {@link #cachedAddress} never blocks).
 */
public final class ZkMetaLocator implements MetaLocator {
  private static final Logger log = LoggerFactory.getLogger(ZkMetaLocator.class);
  private final CuratorFramework zk;
  private final boolean ownsClient;
  private final String activePath;
  private final CuratorCache watch;
  private final MetaEpochFence epochs = new MetaEpochFence();
  /** Guarded by this (writes); read lock-free. */
  private volatile String cached;
  /** Bumped by every watch event and invalidation, so a slow re-read never overwrites a newer value. */
  private long generation;
  private volatile boolean watchLoaded;
  private final Set<Runnable> listeners = ConcurrentHashMap.newKeySet();

  public ZkMetaLocator(CuratorFramework zk, String cluster) {
    this(zk, cluster, false);
  }

  private ZkMetaLocator(CuratorFramework zk, String cluster, boolean ownsClient) {
    this.zk = zk;
    this.ownsClient = ownsClient;
    this.activePath = activePath(cluster);
    this.watch = CuratorCache.build(zk, activePath, CuratorCache.Options.SINGLE_NODE_CACHE);
    watch.listenable().addListener(CuratorCacheListener.builder()
        .forCreatesAndChanges((before, now) -> published(now))
        .forDeletes(gone -> published(null))
        .forInitialized(() -> watchLoaded = true)
        .build());
    watch.start();
  }

  /**
   * The ZooKeeper session timeout a locator asks for when its owner has no session settings: two fifths of the
   * default Basalt session timeout, the meta servers' own default.
   */
  public static final Duration DEFAULT_ZK_SESSION_TIMEOUT = Duration.ofSeconds(4);

  /** Connects its own ZooKeeper client to {@code connectString}, with {@link #DEFAULT_ZK_SESSION_TIMEOUT}. */
  public static ZkMetaLocator connect(String connectString, String cluster) {
    return connect(connectString, cluster, DEFAULT_ZK_SESSION_TIMEOUT);
  }

  /**
   * Connects its own ZooKeeper client to {@code connectString}. The locator holds no ephemeral node, so its session
   * timeout only sets how soon it notices a ZooKeeper member that stopped answering (after two thirds of it) and
   * moves to another one: a locator on a stopped member sees no new leader until then, while its chunk's keepalives
   * stay at the deposed one. It must be short next to a new leader's takeover grace (one lease period): the chunk
   * asks for the meta servers' own ZooKeeper timeout.
   */
  public static ZkMetaLocator connect(String connectString, String cluster, Duration zkSessionTimeout) {
    CuratorFramework zk = CuratorFrameworkFactory.builder()
        .connectString(connectString)
        .sessionTimeoutMs((int) zkSessionTimeout.toMillis())
        .connectionTimeoutMs(5_000)
        .retryPolicy(CuratorRetry.zkClient())
        .build();
    zk.start();
    return new ZkMetaLocator(zk, cluster, true);
  }

  public static String activePath(String cluster) {
    return "/basalt/" + cluster + "/meta/active";
  }

  /** Watch event (Curator's event thread): the znode was created, changed or deleted ({@code data} null). */
  private void published(ChildData data) {
    String address = data == null || data.getData() == null || data.getData().length == 0 ? null
        : new String(data.getData(), StandardCharsets.UTF_8);
    String before;
    synchronized (this) {
      generation++;
      before = cached;
      cached = address;
    }
    if (!Objects.equals(before, address)) {
      log.info("meta leader {} path={} address={} previous={}", address == null ? "gone" : "published", activePath,
          address, before);
      if (address != null) {
        for (Runnable l : listeners) {
          try {
            l.run();
          } catch (RuntimeException e) {
            log.warn("leader-published listener failed address={}", address, e);
          }
        }
      }
    }
  }

  @Override
  public AutoCloseable onLeaderPublished(Runnable listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  /** The watch has read the znode once (tests: later changes arrive as events only). */
  boolean watchLoaded() {
    return watchLoaded;
  }

  @Override
  public Optional<String> cachedAddress() {
    return Optional.ofNullable(cached);
  }

  @Override
  public Optional<String> leaderAddress() {
    String c = cached;
    if (c != null) {
      return Optional.of(c);
    }
    long g;
    synchronized (this) {
      g = generation;
    }
    try {
      if (!zk.getZookeeperClient().blockUntilConnectedOrTimedOut()) {
        return Optional.empty();
      }
      String read = new String(zk.getData().forPath(activePath), StandardCharsets.UTF_8);
      synchronized (this) {
        if (generation == g && cached == null) {
          cached = read;
        }
        return Optional.ofNullable(cached);
      }
    } catch (KeeperException.NoNodeException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    } catch (Exception e) {
      log.debug("cannot read {}: {}", activePath, e.toString());
      return Optional.empty();
    }
  }

  @Override
  public void invalidate(String hint) {
    // A follower's NOT_LEADER names the latch leader; try it next, ZooKeeper is re-read if it fails too.
    synchronized (this) {
      generation++;
      cached = hint == null || hint.isEmpty() ? null : hint;
    }
  }

  @Override
  public MetaEpochFence epochs() {
    return epochs;
  }

  /** Waits until ZooKeeper is reachable; false on timeout. */
  public boolean awaitConnected(long timeout, TimeUnit unit) throws InterruptedException {
    return zk.blockUntilConnected((int) timeout, unit);
  }

  @Override
  public void close() {
    watch.close();
    if (ownsClient) {
      zk.close();
    }
  }
}
