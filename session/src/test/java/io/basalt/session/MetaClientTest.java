package io.basalt.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import io.basalt.common.ManualClock;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ListVolumesRequest;
import io.basalt.proto.ListVolumesResponse;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.NotLeaderException;
import io.basalt.rpc.Reply;
import io.basalt.rpc.RpcClientFactory;
import io.basalt.rpc.RpcServer;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MetaClientTest {
  private final RpcClientFactory rpc = new RpcClientFactory("test", new MetricRegistry());
  private RpcServer leader;
  private RpcServer follower;

  @AfterEach
  void stop() {
    rpc.close();
    if (leader != null) leader.close();
    if (follower != null) follower.close();
  }

  private static final Envelope.Builder LIST = Envelope.newBuilder().setListVolumes(ListVolumesRequest.getDefaultInstance());

  /** Starts at the follower, which redirects to the leader; accepts hints like the ZooKeeper locator. */
  private static final class HintLocator implements MetaLocator {
    volatile String address;
    final MetaEpochFence epochs = new MetaEpochFence();

    HintLocator(String address) {
      this.address = address;
    }

    @Override
    public Optional<String> leaderAddress() {
      return Optional.ofNullable(address);
    }

    @Override
    public void invalidate(String hint) {
      if (hint != null && !hint.isEmpty()) address = hint;
    }

    @Override
    public MetaEpochFence epochs() {
      return epochs;
    }
  }

  @Test
  void followsNotLeaderAndRetriesNotReady() {
    AtomicInteger leaderCalls = new AtomicInteger();
    leader = RpcServer.builder("leader").bind("127.0.0.1", 0)
        .handle(Envelope.BodyCase.LIST_VOLUMES, req -> leaderCalls.incrementAndGet() < 3
            ? CompletableFuture.failedFuture(new BasaltException(ErrorCode.NOT_READY, "loading"))
            : CompletableFuture.completedFuture(Reply.of(Envelope.newBuilder()
                .setListVolumesResponse(ListVolumesResponse.getDefaultInstance()))))
        .build().start();
    String leaderAddress = leader.address();
    follower = RpcServer.builder("follower").bind("127.0.0.1", 0)
        .handle(Envelope.BodyCase.LIST_VOLUMES, req ->
            CompletableFuture.failedFuture(new NotLeaderException(leaderAddress, "follower")))
        .build().start();
    try (MetaClient meta = new MetaClient(new HintLocator(follower.address()), rpc)) {
      Envelope r = meta.callSync(LIST.clone());
      assertThat(r.getCode()).isEqualTo(ErrorCode.OK);
      assertThat(leaderCalls.get()).isEqualTo(3);
    }
  }

  @Test
  void nonRetryableErrorFailsAtOnce() {
    AtomicInteger calls = new AtomicInteger();
    leader = RpcServer.builder("leader").bind("127.0.0.1", 0)
        .handle(Envelope.BodyCase.LIST_VOLUMES, req -> {
          calls.incrementAndGet();
          return CompletableFuture.failedFuture(new BasaltException(ErrorCode.INVALID_ARGUMENT, "bad"));
        })
        .build().start();
    try (MetaClient meta = new MetaClient(MetaLocator.fixed(leader.address()), rpc)) {
      assertThatThrownBy(() -> meta.callSync(LIST.clone()))
          .isInstanceOf(BasaltException.class)
          .satisfies(e -> assertThat(((BasaltException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
      assertThat(calls.get()).isEqualTo(1);
    }
  }

  @Test
  void noLeaderGivesUpAsNotReadyOnlyOnceTheBudgetPassedOnItsClock() {
    AtomicInteger lookups = new AtomicInteger();
    MetaLocator none = new MetaLocator() {
      @Override
      public Optional<String> leaderAddress() {
        lookups.incrementAndGet();
        return Optional.empty();
      }

      @Override
      public void invalidate(String hint) {}

      @Override
      public MetaEpochFence epochs() {
        return new MetaEpochFence();
      }
    };
    ManualClock clock = new ManualClock();
    try (MetaClient meta = new MetaClient(none, rpc, Duration.ofSeconds(1), Duration.ofMillis(300), clock)) {
      CompletableFuture<Envelope> call = meta.call(LIST.clone());
      await().atMost(Duration.ofSeconds(10)).until(() -> lookups.get() >= 3);
      assertThat(call).as("the clock has not moved: the budget is not spent, the client keeps looking").isNotDone();
      clock.advanceMillis(400);
      assertThatThrownBy(call::join)
          .satisfies(e -> assertThat(BasaltException.of(e).code()).isEqualTo(ErrorCode.NOT_READY));
    }
  }
}
