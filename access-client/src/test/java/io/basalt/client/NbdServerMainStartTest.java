package io.basalt.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.basalt.client.io.ClientConfig;
import io.basalt.common.HostPort;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An NBD process whose start fails half-way (its NBD port is taken) stops every part that had started. */
class NbdServerMainStartTest {

  @Test
  void nbdPortTakenStopsEveryPartStarted() throws IOException {
    NbdServerMain main = new NbdServerMain();
    main.meta = "127.0.0.1:1"; // a fixed meta address: nothing is dialled at start (volumes open lazily)
    main.cluster = "local";
    main.ioThreads = 1;
    main.metricsPort = freePort();
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      HostPort bind = new HostPort("127.0.0.1", taken.getLocalPort());
      assertThrows(Exception.class, () -> main.start(bind, ClientConfig.defaults()));
    }
    assertEquals(List.of(), main.stack().running());
    assertEquals(List.of(), main.stack().stopFailures());
    try (ServerSocket again = new ServerSocket(main.metricsPort, 1, InetAddress.getLoopbackAddress())) {
      again.getLocalPort(); // the metrics endpoint started before the failing bind was stopped
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
