package io.basalt.it.cluster;

import io.basalt.common.HostPort;
import io.basalt.it.faults.FaultProxy;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The fault proxies a {@link ProcessCluster} puts in front of its chunks: each listens on the address the chunk
 * advertises and forwards to where the chunk listens. They live in the test JVM and outlive chunk restarts.
 */
final class ChunkProxies implements AutoCloseable {
  private final Map<String, FaultProxy> byNode = new ConcurrentHashMap<>();

  void startFor(List<ClusterNode> nodes) {
    for (ClusterNode n : nodes) {
      if (n.role() == NodeRole.CHUNK && !n.advertisedAddress().equals(n.address())) {
        HostPort listen = HostPort.parse(n.advertisedAddress());
        byNode.put(n.name(), FaultProxy.start(n.name(), new InetSocketAddress(listen.host(), listen.port()),
            HostPort.parse(n.address())));
      }
    }
  }

  FaultProxy of(ClusterNode node) {
    FaultProxy p = byNode.get(node.name());
    if (p == null) {
      throw new IllegalArgumentException(node.name() + " has no proxy: build the cluster with proxyChunks(true)");
    }
    return p;
  }

  @Override
  public void close() {
    byNode.values().forEach(FaultProxy::close);
    byNode.clear();
  }
}
