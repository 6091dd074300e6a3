package io.basalt.session;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the active leader's address from ZooKeeper ({@code /basalt/<cluster>/meta/active}, an ephemeral znode the
 * leader creates once it has loaded its tables), caching it until invalidated.
 */
public final class ZkMetaLocator implements MetaLocator {
  private static final Logger log = LoggerFactory.getLogger(ZkMetaLocator.class);
  private final CuratorFramework zk;
  private final boolean ownsClient;
  private final String activePath;
  private volatile String cached;

  public ZkMetaLocator(CuratorFramework zk, String cluster) {
    this(zk, cluster, false);
  }

  private ZkMetaLocator(CuratorFramework zk, String cluster, boolean ownsClient) {
    this.zk = zk;
    this.ownsClient = ownsClient;
    this.activePath = activePath(cluster);
  }

  /** Connects its own ZooKeeper client to {@code connectString}. */
  public static ZkMetaLocator connect(String connectString, String cluster) {
    CuratorFramework zk = CuratorFrameworkFactory.builder()
        .connectString(connectString)
        .sessionTimeoutMs(30_000)
        .connectionTimeoutMs(5_000)
        .retryPolicy(new ExponentialBackoffRetry(100, 5, 2_000))
        .build();
    zk.start();
    return new ZkMetaLocator(zk, cluster, true);
  }

  public static String activePath(String cluster) {
    return "/basalt/" + cluster + "/meta/active";
  }

  @Override
  public Optional<String> leaderAddress() {
    String c = cached;
    if (c != null) {
      return Optional.of(c);
    }
    try {
      if (!zk.getZookeeperClient().blockUntilConnectedOrTimedOut()) {
        return Optional.empty();
      }
      byte[] data = zk.getData().forPath(activePath);
      cached = new String(data, StandardCharsets.UTF_8);
      return Optional.of(cached);
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
    cached = hint == null || hint.isEmpty() ? null : hint;
  }

  /** Waits until ZooKeeper is reachable; false on timeout. */
  public boolean awaitConnected(long timeout, TimeUnit unit) throws InterruptedException {
    return zk.blockUntilConnected((int) timeout, unit);
  }

  @Override
  public void close() {
    if (ownsClient) {
      zk.close();
    }
  }
}
