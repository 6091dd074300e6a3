package io.basalt.meta;

import static io.basalt.meta.MetaTestSupport.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import io.basalt.meta.rpc.MetaInfoService;
import io.basalt.meta.state.LeadershipState;
import io.basalt.meta.store.ZkPaths;
import io.basalt.meta.zk.EmbeddedZooKeeper;
import io.basalt.proto.Envelope;
import io.basalt.proto.ListVolumesRequest;
import io.basalt.proto.MetaInfoRequest;
import io.basalt.proto.MetaInfoResponse;
import io.basalt.rpc.NotLeaderException;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.RpcClientFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletionException;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** MetaInfo over real RPC from a leader and a follower (which refuses everything else), and the address registry. */
@Timeout(120)
class MetaInfoTest {
  static final Duration DEADLINE = Duration.ofSeconds(5);
  @TempDir
  Path dir;
  EmbeddedZooKeeper zk;
  MetaServer a;
  MetaServer b;
  final RpcClientFactory clients = new RpcClientFactory("test", new MetricRegistry());

  @AfterEach
  void stop() {
    clients.close();
    if (a != null) {
      a.close();
    }
    if (b != null) {
      b.close();
    }
    if (zk != null) {
      zk.close();
    }
  }

  MetaInfoResponse info(MetaServer server) {
    Envelope reply = clients.client(server.address())
        .call(Envelope.newBuilder().setMetaInfo(MetaInfoRequest.getDefaultInstance()), DEADLINE).join();
    return reply.getMetaInfoResponse();
  }

  @Test
  void leaderAndFollowerBothAnswerWithTheirStateEpochAndLeader() throws Exception {
    zk = EmbeddedZooKeeper.start(dir);
    MetaConfig cfg = config(zk.getConnectionString());
    a = MetaServer.start(cfg);
    b = MetaServer.start(cfg);
    await().atMost(Duration.ofSeconds(20)).until(() -> a.isActiveLeader() ^ b.isActiveLeader());
    MetaServer leader = a.isActiveLeader() ? a : b;
    MetaServer follower = leader == a ? b : a;
    long epoch = leader.core().metaState().epoch();
    assertThat(epoch).isPositive();

    MetaInfoResponse l = info(leader);
    assertThat(l.getAddress()).isEqualTo(leader.address());
    assertThat(l.getState()).isEqualTo("leader");
    assertThat(l.getMetaEpoch()).isEqualTo(epoch);

    // the follower refuses ordinary calls, but answers MetaInfo
    try {
      clients.client(follower.address())
          .call(Envelope.newBuilder().setListVolumes(ListVolumesRequest.getDefaultInstance()), DEADLINE).join();
      throw new AssertionError("a follower served ListVolumes");
    } catch (CompletionException e) {
      assertThat(BasaltException.of(e)).isInstanceOf(NotLeaderException.class);
    }
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      MetaInfoResponse f = info(follower);
      assertThat(f.getAddress()).isEqualTo(follower.address());
      assertThat(f.getState()).isEqualTo("follower");
      assertThat(f.getMetaEpoch()).isZero();
      assertThat(f.getLeaderHint()).isEqualTo(leader.address()); // the hint refreshes in the background
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> info(leader).getLeaderHint().equals(leader.address()));

    // both registered themselves; the registry keeps a closed server, which the latch forgets
    ZkPaths paths = new ZkPaths(cfg.cluster());
    try (CuratorFramework c = CuratorFrameworkFactory.newClient(zk.getConnectionString(), new RetryOneTime(100))) {
      c.start();
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(c.getChildren().forPath(paths.servers()))
          .containsExactlyInAnyOrder(a.address(), b.address()));
      String gone = leader.address();
      leader.close();
      await().atMost(Duration.ofSeconds(20)).until(follower::isActiveLeader);
      MetaInfoResponse next = info(follower);
      assertThat(next.getState()).isEqualTo("leader");
      assertThat(next.getMetaEpoch()).isGreaterThan(epoch);
      assertThat(c.getChildren().forPath(paths.servers())).contains(gone, follower.address());
      assertThat(c.getChildren().forPath(paths.leader())).hasSize(1);
    }
  }

  @Test
  void answersStartingBeforeTheElectionAndNamesEveryStateGenerically() {
    MetaInfoService service = new MetaInfoService();
    service.listening("127.0.0.1:7000");
    assertThat(service.info()).isEqualTo(MetaInfoResponse.newBuilder().setAddress("127.0.0.1:7000")
        .setState("starting").build());
    for (LeadershipState s : LeadershipState.values()) {
      assertThat(MetaInfoService.stateName(s)).isEqualTo(s == LeadershipState.ACTIVE ? "leader"
          : s.name().toLowerCase(Locale.ROOT));
    }
    assertThat(MetaInfoService.stateName(LeadershipState.SUSPENDED)).isEqualTo("suspended");
  }
}
