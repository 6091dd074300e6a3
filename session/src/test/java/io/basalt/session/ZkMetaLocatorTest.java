package io.basalt.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ZkMetaLocatorTest {
  private static final String PATH = ZkMetaLocator.activePath("c1");
  @TempDir
  Path dir;
  private TestZooKeeper zk;
  private CuratorFramework writer;

  @BeforeEach
  void start() throws Exception {
    zk = new TestZooKeeper(dir);
    writer = zk.client();
  }

  @AfterEach
  void stop() {
    writer.close();
    zk.close();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void seesAChangedAndDeletedLeaderWithoutInvalidate() throws Exception {
    writer.create().creatingParentsIfNeeded().forPath(PATH, bytes("127.0.0.1:1001"));
    try (ZkMetaLocator locator = ZkMetaLocator.connect(zk.connectString(), "c1")) {
      assertThat(locator.leaderAddress()).contains("127.0.0.1:1001");

      writer.setData().forPath(PATH, bytes("127.0.0.1:1002"));
      await().atMost(Duration.ofSeconds(10)).until(() -> locator.cachedAddress().equals(Optional.of("127.0.0.1:1002")));

      writer.delete().forPath(PATH);
      await().atMost(Duration.ofSeconds(10)).until(() -> locator.cachedAddress().isEmpty());
      assertThat(locator.leaderAddress()).isEmpty();

      writer.create().forPath(PATH, bytes("127.0.0.1:1003"));
      await().atMost(Duration.ofSeconds(10)).until(() -> locator.cachedAddress().equals(Optional.of("127.0.0.1:1003")));
    }
  }

  @Test
  void reReadsZooKeeperAfterInvalidateAndFollowsAHint() throws Exception {
    writer.create().creatingParentsIfNeeded().forPath(PATH, bytes("127.0.0.1:2001"));
    try (ZkMetaLocator locator = ZkMetaLocator.connect(zk.connectString(), "c1")) {
      assertThat(locator.leaderAddress()).contains("127.0.0.1:2001");
      await().atMost(Duration.ofSeconds(10)).until(locator::watchLoaded);
      locator.invalidate("127.0.0.1:2009");
      assertThat(locator.leaderAddress()).contains("127.0.0.1:2009");
      locator.invalidate(null);
      assertThat(locator.cachedAddress()).isEmpty();
      assertThat(locator.leaderAddress()).contains("127.0.0.1:2001");
      assertThat(locator.cachedAddress()).contains("127.0.0.1:2001");
    }
  }
}
