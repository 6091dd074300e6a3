package io.basalt.it.cluster;

import io.basalt.common.HostPort;
import io.basalt.it.faults.FaultProxy;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The fault proxies a {@link ProcessCluster} puts on its chunks' paths: in front of a chunk (on the address it
 * advertises, forwarding to where it listens) and between a chunk and the meta leader (on the address given to the
 * chunk as {@code --meta}, forwarding to whichever meta leads when a connection opens). They live in the test JVM
 * and outlive restarts of the processes on either side.
 */
final class ChunkProxies implements AutoCloseable {
  /** Last octet of chunk i's front proxy: 60 + i. */
  static final int CHUNK_PROXY_OCTET = 60;
  /** Last octet of chunk i's meta-path proxy: 70 + i. */
  static final int META_PROXY_OCTET = 70;

  private final Map<String, FaultProxy> front = new ConcurrentHashMap<>();
  private final Map<String, FaultProxy> metaPath = new ConcurrentHashMap<>();

  void startFor(List<ClusterNode> nodes, Supplier<HostPort> metaLeader) {
    for (ClusterNode n : nodes) {
      if (n.role() != NodeRole.CHUNK) {
        continue;
      }
      if (!n.advertisedAddress().equals(n.address())) {
        front.put(n.name(), FaultProxy.start(n.name(), socket(n.advertisedAddress()), HostPort.parse(n.address())));
      }
      int meta = n.command().indexOf("--meta");
      if (meta >= 0) {
        metaPath.put(n.name(), FaultProxy.start(n.name() + "->meta", socket(n.command().get(meta + 1)), metaLeader));
      }
    }
  }

  private static InetSocketAddress socket(String address) {
    HostPort hp = HostPort.parse(address);
    return new InetSocketAddress(hp.host(), hp.port());
  }

  FaultProxy of(ClusterNode node) {
    FaultProxy p = front.get(node.name());
    if (p == null) {
      throw new IllegalArgumentException(node.name() + " has no proxy: build the cluster with proxyChunks(true)");
    }
    return p;
  }

  FaultProxy metaPathOf(ClusterNode node) {
    FaultProxy p = metaPath.get(node.name());
    if (p == null) {
      throw new IllegalArgumentException(node.name() + " has no meta proxy: build the cluster with proxyMeta(true)");
    }
    return p;
  }

  @Override
  public void close() {
    front.values().forEach(FaultProxy::close);
    metaPath.values().forEach(FaultProxy::close);
    front.clear();
    metaPath.clear();
  }
}
