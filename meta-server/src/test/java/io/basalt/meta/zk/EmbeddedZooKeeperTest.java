package io.basalt.meta.zk;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class EmbeddedZooKeeperTest {
  @TempDir
  Path dir;

  @Test
  void servesClientsAndKeepsDataAcrossRestart() throws Exception {
    Path data = dir.resolve("zk-not-yet-created");
    int port;
    try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(data)) {
      port = zk.port();
      assertThat(zk.getConnectionString()).isEqualTo("127.0.0.1:" + port);
      try (CuratorFramework c = client(zk.getConnectionString())) {
        c.create().creatingParentsIfNeeded().forPath("/basalt/t/x", "hello".getBytes(StandardCharsets.UTF_8));
      }
    }
    try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(data, "127.0.0.1", port);
        CuratorFramework c = client(zk.getConnectionString())) {
      assertThat(new String(c.getData().forPath("/basalt/t/x"), StandardCharsets.UTF_8)).isEqualTo("hello");
    }
  }

  @Test
  void closeIsIdempotent() {
    EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(dir);
    zk.close();
    zk.close();
  }

  static CuratorFramework client(String connect) throws InterruptedException {
    CuratorFramework c = CuratorFrameworkFactory.newClient(connect, 5000, 3000, new RetryOneTime(100));
    c.start();
    c.blockUntilConnected();
    return c;
  }
}
