package io.basalt.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import io.basalt.proto.Envelope;
import io.basalt.proto.KeepAliveRequest;
import io.basalt.proto.KeepAliveResponse;
import io.basalt.rpc.Reply;
import io.basalt.rpc.RpcClientFactory;
import io.basalt.rpc.RpcServer;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Keepalives leave a leader that went silent for the healthy one before the session's lease runs out. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SessionClientFailoverTest {
  private final RpcClientFactory rpc = new RpcClientFactory("session-test", new MetricRegistry());
  private RpcServer healthy;
  private RpcServer silent;

  @AfterEach
  void stop() {
    rpc.close();
    if (healthy != null) healthy.close();
    if (silent != null) silent.close();
  }

  @Test
  void twoSilentKeepalivesMoveTheSessionToTheHealthyLeader() {
    SessionConfig cfg = SessionConfig.of(Duration.ofMillis(200), Duration.ofSeconds(3));
    AtomicInteger healthyCalls = new AtomicInteger();
    healthy = RpcServer.builder("healthy").bind("127.0.0.1", 0)
        .handle(Envelope.BodyCase.KEEP_ALIVE, req -> {
          healthyCalls.incrementAndGet();
          return CompletableFuture.completedFuture(Reply.of(Envelope.newBuilder().setKeepAliveResponse(
              KeepAliveResponse.newBuilder().setSessionUuid("s1").setSessionEpoch(1)
                  .setSessionTimeoutMs(cfg.sessionTimeout().toMillis()))));
        })
        .replyStamp(() -> reply -> reply.setMetaEpoch(2))
        .build().start();
    AtomicInteger silentCalls = new AtomicInteger();
    silent = RpcServer.builder("silent").bind("127.0.0.1", 0)
        .handle(Envelope.BodyCase.KEEP_ALIVE, req -> {
          silentCalls.incrementAndGet();
          return new CompletableFuture<>();
        })
        .build().start();
    SwitchingLocator locator = new SwitchingLocator(healthy.address());
    List<FollowerSession.Transition> transitions = new CopyOnWriteArrayList<>();
    FollowerSession session = new FollowerSession(cfg, () -> "cid=1");
    Duration attempt = cfg.keepaliveInterval();
    try (SessionClient client = new SessionClient(cfg, session, new MetaClient(locator, rpc, attempt, attempt),
        () -> KeepAliveRequest.newBuilder().setCid(1), transitions::add, new SessionMetrics(new MetricRegistry()),
        System::nanoTime).start()) {
      await().atMost(Duration.ofSeconds(10)).until(() -> session.state() == FollowerSession.State.CONNECTED);

      // the leader goes silent, but ZooKeeper still names it until our timeouts make us re-read it
      locator.address = silent.address();
      int before = healthyCalls.get();
      await().atMost(Duration.ofSeconds(10)).until(() -> healthyCalls.get() > before + 2);

      assertThat(silentCalls.get()).isEqualTo(MetaClient.SWITCH_AFTER_TIMEOUTS);
      assertThat(session.state()).isEqualTo(FollowerSession.State.CONNECTED);
      assertThat(transitions).extracting(FollowerSession.Transition::to)
          .doesNotContain(FollowerSession.State.EXPIRED, FollowerSession.State.RECONNECT);
      assertThat(session.epoch()).isEqualTo(1);
    }
  }

  /** Names {@code address}; invalidated without a hint it returns to the healthy one (as a ZooKeeper re-read). */
  private static final class SwitchingLocator implements MetaLocator {
    private final String healthy;
    private final MetaEpochFence epochs = new MetaEpochFence();
    volatile String address;

    SwitchingLocator(String healthy) {
      this.healthy = healthy;
      this.address = healthy;
    }

    @Override
    public Optional<String> leaderAddress() {
      return Optional.of(address);
    }

    @Override
    public void invalidate(String hint) {
      address = hint == null || hint.isEmpty() ? healthy : hint;
    }

    @Override
    public MetaEpochFence epochs() {
      return epochs;
    }
  }
}
