package io.basalt.meta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import io.basalt.meta.zk.EmbeddedZooKeeper;
import io.basalt.proto.CreateVolumeRequest;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.SetFailpointRequest;
import io.basalt.rpc.RpcClientFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The meta's ZooKeeper-write failpoints, switched through the test-only admin call. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MetaFailpointTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);
  @TempDir Path dir;

  private static Envelope.Builder failpoint(String name, String action) {
    return Envelope.newBuilder().setSetFailpoint(SetFailpointRequest.newBuilder().setName(name).setAction(action));
  }

  private static Envelope.Builder create(String name) {
    return Envelope.newBuilder().setCreateVolume(CreateVolumeRequest.newBuilder().setName(name)
        .setSizeBytes(1 << 20).setReplicas(1).setExtentSize(1 << 20));
  }

  @Test
  void refusedWithoutTestMode() {
    try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(dir);
        MetaServer meta = MetaServer.start(MetaTestSupport.config(zk.getConnectionString()));
        RpcClientFactory rpc = new RpcClientFactory("t", new MetricRegistry())) {
      var e = MetaTestSupport.failure(rpc.client(meta.address()).call(failpoint("meta.zk.before-write", "error"),
          DEADLINE));
      assertThat(e.code()).isEqualTo(ErrorCode.TEST_ONLY);
    }
  }

  @Test
  void zkWriteFailpointFailsMutationsUntilSwitchedOff() {
    try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(dir);
        MetaServer meta = MetaServer.start(MetaTestSupport.config(zk.getConnectionString()), true);
        RpcClientFactory rpc = new RpcClientFactory("t", new MetricRegistry())) {
      await().atMost(Duration.ofSeconds(30)).until(meta::isActiveLeader);
      var c = rpc.client(meta.address());
      assertThat(c.call(failpoint("meta.zk.before-write", "1*error(no_space)"), DEADLINE).join()
          .getSetFailpointResponse().getActiveList()).containsExactly("meta.zk.before-write=1*error(no_space)");
      // a failed ZooKeeper write leaves its outcome unknown: the leader answers UNAVAILABLE (retryable) and
      // re-establishes itself from ZooKeeper
      var e = MetaTestSupport.failure(c.call(create("v1"), DEADLINE));
      assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
      assertThat(e.retryable()).isTrue();
      // fired once: the next write goes through
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
          .until(() -> c.call(create("v1"), DEADLINE).join().getCode() == ErrorCode.OK);
    }
  }
}
