package io.basalt.meta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.codahale.metrics.MetricRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** A meta server's {@code ServiceStack}s: a start failing half-way stops what had started; the stop order. */
class MetaServerStartTest {

  @Test
  void rpcPortTakenStopsTheMetricsEndpointAlreadyStarted() throws IOException {
    int metricsPort = freePort();
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      // nothing listens on the ZooKeeper address: the start fails at the RPC bind (Netty throws the IOException
      // undeclared), before the core connects
      MetaConfig config = MetaConfig.defaults("127.0.0.1:1").withListen("127.0.0.1", taken.getLocalPort())
          .withMetricsPort(metricsPort);
      assertThrows(Exception.class, () -> MetaServer.start(config));
    }
    // the metrics endpoint had started before the failing bind; the stack closed it, so its port is free again
    try (ServerSocket again = new ServerSocket(metricsPort, 1, InetAddress.getLoopbackAddress())) {
      again.getLocalPort();
    }
  }

  @Test
  void theCoreStopsItsPartsInTheOrderItAlwaysHad() {
    // ZooKeeper is unreachable: every part starts, the elector waits for a connection that never comes
    MetaCore core = MetaCore.start(MetaConfig.defaults("127.0.0.1:1"), "127.0.0.1:7001", new MetricRegistry());
    assertThat(core.stack().running()).containsExactly("scrub scheduler", "recovery scheduler", "session ticker",
        "elector", "pause detector", "scrub rpc client", "meta loop", "store", "zookeeper client");
    core.close();
    assertThat(core.stack().running()).isEmpty();
    assertThat(core.stack().stopFailures()).isEmpty();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
