package io.basalt.session;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.server.embedded.ExitHandler;
import org.apache.zookeeper.server.embedded.ZooKeeperServerEmbedded;

/** A standalone ZooKeeper in the test JVM on 127.0.0.1 (meta-server's EmbeddedZooKeeper is not visible here). */
final class TestZooKeeper implements AutoCloseable {
  private final ZooKeeperServerEmbedded server;
  private final String connect;

  TestZooKeeper(Path dir) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Files.createDirectories(dir.resolve("data"));
    Properties cfg = new Properties();
    cfg.setProperty("clientPort", Integer.toString(port));
    cfg.setProperty("clientPortAddress", "127.0.0.1");
    cfg.setProperty("dataDir", dir.resolve("data").toString());
    cfg.setProperty("tickTime", "500");
    cfg.setProperty("admin.enableServer", "false");
    server = ZooKeeperServerEmbedded.builder().baseDir(dir).configuration(cfg).exitHandler(ExitHandler.LOG_ONLY)
        .build();
    server.start(Duration.ofSeconds(30).toMillis());
    connect = "127.0.0.1:" + port;
  }

  String connectString() {
    return connect;
  }

  CuratorFramework client() {
    CuratorFramework c = CuratorFrameworkFactory.newClient(connect, 10_000, 5_000, new RetryOneTime(100));
    c.start();
    return c;
  }

  @Override
  public void close() {
    server.close();
  }
}
