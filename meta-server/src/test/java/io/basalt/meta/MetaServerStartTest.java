package io.basalt.meta;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** A meta server whose start fails half-way stops what had started (its {@code ServiceStack}). */
class MetaServerStartTest {

  @Test
  void rpcPortTakenStopsTheMetricsEndpointAlreadyStarted() throws IOException {
    int metricsPort = freePort();
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      // nothing listens on the ZooKeeper address: the start fails at the RPC bind, before the core connects
      MetaConfig config = MetaConfig.defaults("127.0.0.1:1").withListen("127.0.0.1", taken.getLocalPort())
          .withMetricsPort(metricsPort);
      assertThrows(RuntimeException.class, () -> MetaServer.start(config));
    }
    // the metrics endpoint had started before the failing bind; the stack closed it, so its port is free again
    try (ServerSocket again = new ServerSocket(metricsPort, 1, InetAddress.getLoopbackAddress())) {
      again.getLocalPort();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
