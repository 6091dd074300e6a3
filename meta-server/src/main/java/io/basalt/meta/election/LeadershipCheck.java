package io.basalt.meta.election;

import io.basalt.meta.store.FencingToken;
import io.basalt.meta.store.ZkPaths;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * Confirms with ZooKeeper that this server still leads: a {@code sync} (so the server we read from has seen every
 * write the quorum committed before it), then the latch still names us and {@code meta/epoch} is still at the
 * version our fencing token claimed (no one was elected after us). Blocking; runs on the elector thread.
 */
final class LeadershipCheck {
  /** Confirmed or not, and why (for logs). */
  record Result(boolean confirmed, String detail) {}

  private final CuratorFramework client;
  private final ZkPaths paths;
  private final String id;
  private final Duration timeout;

  LeadershipCheck(CuratorFramework client, ZkPaths paths, String id, Duration timeout) {
    this.client = client;
    this.paths = paths;
    this.id = id;
    this.timeout = timeout;
  }

  Result verify(LeaderLatch latch, FencingToken token) {
    if (latch == null || token == null) {
      return new Result(false, "no latch or no claimed epoch");
    }
    try {
      CompletableFuture<Integer> synced = new CompletableFuture<>();
      client.sync().inBackground((c, event) -> synced.complete(event.getResultCode())).forPath(paths.epoch());
      int rc = synced.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (rc != KeeperException.Code.OK.intValue()) {
        return new Result(false, "zookeeper sync failed: " + KeeperException.Code.get(rc));
      }
      if (!latch.hasLeadership()) {
        return new Result(false, "the latch no longer has leadership");
      }
      String leader = latch.getLeader().getId();
      if (!id.equals(leader)) {
        return new Result(false, "the latch names " + (leader.isEmpty() ? "nobody" : leader) + " as leader");
      }
      Stat epoch = client.checkExists().forPath(paths.epoch());
      if (epoch == null || epoch.getVersion() != token.zkVersion()) {
        return new Result(false, "meta/epoch moved on: version " + (epoch == null ? "none" : epoch.getVersion())
            + ", ours " + token.zkVersion() + " (epoch " + token.epoch() + ")");
      }
      return new Result(true, "zookeeper synced, the latch names us, meta/epoch still at version "
          + token.zkVersion() + " (epoch " + token.epoch() + ")");
    } catch (TimeoutException e) {
      return new Result(false, "zookeeper sync did not answer within " + timeout.toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(false, "interrupted");
    } catch (Exception e) {
      return new Result(false, "zookeeper check failed: " + e);
    }
  }
}
