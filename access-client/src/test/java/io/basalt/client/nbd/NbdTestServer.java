package io.basalt.client.nbd;

import com.codahale.metrics.MetricRegistry;

/** An {@link NbdServer} on 127.0.0.1 with an ephemeral port over a {@link MemoryVolumeProvider}. */
final class NbdTestServer implements AutoCloseable {
  final MemoryVolumeProvider volumes = new MemoryVolumeProvider();
  final MetricRegistry metrics = new MetricRegistry();
  private NbdServer server;
  private int port;

  NbdTestServer add(MemoryVolume volume) {
    volumes.add(volume);
    return this;
  }

  NbdTestServer start() {
    return start(NbdServerConfig.defaults());
  }

  NbdTestServer start(NbdServerConfig config) {
    server = new NbdServer(volumes, config.withMetrics(metrics));
    port = server.start("127.0.0.1", 0);
    return this;
  }

  int port() {
    return port;
  }

  NbdServer server() {
    return server;
  }

  String uri(String export) {
    return "nbd://127.0.0.1:" + port + "/" + export;
  }

  @Override
  public void close() {
    if (server != null) {
      server.close();
    }
  }
}
