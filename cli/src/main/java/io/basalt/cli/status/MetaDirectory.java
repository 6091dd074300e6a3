package io.basalt.cli.status;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;

/**
 * Where the meta servers of a cluster are, as ZooKeeper knows them: the live participants of the election latch
 * ({@code meta/leader}, each child's data is its participant id, the RPC address), the registry every meta server
 * writes once at start-up ({@code meta/servers/<address>}, which still lists a dead one) and the published
 * leader ({@code meta/active}). Reads only; never joins the election. Blocking, on the caller's thread.
 */
public final class MetaDirectory {
  private final CuratorFramework zk;
  private final String meta;

  public MetaDirectory(CuratorFramework zk, String cluster) {
    this.zk = zk;
    this.meta = "/basalt/" + cluster + "/meta";
  }

  /** Every known meta server address, sorted: latch participants and registered servers. */
  public List<String> addresses() throws Exception {
    TreeSet<String> all = new TreeSet<>(children(meta + "/servers"));
    for (String child : children(meta + "/leader")) {
      try {
        String id = new String(zk.getData().forPath(meta + "/leader/" + child), StandardCharsets.UTF_8);
        if (!id.isEmpty()) {
          all.add(id);
        }
      } catch (KeeperException.NoNodeException e) {
        // that participant just left
      }
    }
    return List.copyOf(all);
  }

  /** The published leader's RPC address, if one is published. */
  public Optional<String> active() throws Exception {
    try {
      String a = new String(zk.getData().forPath(meta + "/active"), StandardCharsets.UTF_8);
      return a.isEmpty() ? Optional.empty() : Optional.of(a);
    } catch (KeeperException.NoNodeException e) {
      return Optional.empty();
    }
  }

  private List<String> children(String path) throws Exception {
    try {
      return zk.getChildren().forPath(path);
    } catch (KeeperException.NoNodeException e) {
      return List.of();
    }
  }
}
