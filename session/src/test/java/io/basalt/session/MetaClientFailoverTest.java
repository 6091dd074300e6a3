package io.basalt.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import io.basalt.proto.CreateVolumeRequest;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.GetVolumeRequest;
import io.basalt.proto.VolumeInfo;
import io.basalt.proto.VolumeResponse;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.NotLeaderException;
import io.basalt.rpc.Reply;
import io.basalt.rpc.RpcClientFactory;
import io.basalt.rpc.RpcHandler;
import io.basalt.rpc.RpcServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** MetaClient against a silent leader, a leader moved in ZooKeeper, and answers from a stale (older-epoch) leader. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MetaClientFailoverTest {
  private static final Envelope.Builder GET = Envelope.newBuilder()
      .setGetVolume(GetVolumeRequest.newBuilder().setName("v"));
  private static final Envelope.Builder CREATE = Envelope.newBuilder()
      .setCreateVolume(CreateVolumeRequest.newBuilder().setName("v").setSizeBytes(1 << 20));

  @TempDir
  Path dir;
  private final RpcClientFactory rpc = new RpcClientFactory("test", new MetricRegistry());
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    rpc.close();
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  /** Never answers: the request is counted and its reply never completes (a SIGSTOPped leader). */
  private RpcServer silent(AtomicInteger calls) {
    RpcHandler never = req -> {
      calls.incrementAndGet();
      return new CompletableFuture<>();
    };
    return server(0, never);
  }

  /** Answers every GetVolume and CreateVolume with a volume named {@code who}, stamped with {@code epoch}. */
  private RpcServer answering(String who, long epoch) {
    return server(epoch, req -> CompletableFuture.completedFuture(Reply.of(Envelope.newBuilder().setVolumeResponse(
        VolumeResponse.newBuilder().setVolume(VolumeInfo.newBuilder().setName(who))))));
  }

  private RpcServer server(long epoch, RpcHandler handler) {
    RpcServer s = RpcServer.builder("fake-meta").bind("127.0.0.1", 0)
        .handle(Envelope.BodyCase.GET_VOLUME, handler)
        .handle(Envelope.BodyCase.CREATE_VOLUME, handler)
        .replyStamp(() -> reply -> reply.setMetaEpoch(epoch))
        .build().start();
    open.add(s);
    return s;
  }

  private static String who(Envelope answer) {
    return answer.getVolumeResponse().getVolume().getName();
  }

  @Test
  void movesToTheLeaderPublishedInZooKeeperWhileTheOldOneIsSilent() throws Exception {
    AtomicInteger silentCalls = new AtomicInteger();
    RpcServer stopped = silent(silentCalls);
    RpcServer healthy = answering("healthy", 0);
    TestZooKeeper zk = new TestZooKeeper(dir);
    open.add(zk);
    CuratorFramework writer = zk.client();
    open.add(writer);
    String path = ZkMetaLocator.activePath("c1");
    writer.create().creatingParentsIfNeeded().forPath(path, stopped.address().getBytes(StandardCharsets.UTF_8));
    ZkMetaLocator locator = ZkMetaLocator.connect(zk.connectString(), "c1");
    open.add(locator);
    Duration budget = Duration.ofSeconds(10);
    // an attempt deadline far above the time the test allows: the published leader, not a timeout, moves the call
    try (MetaClient meta = new MetaClient(locator, rpc, Duration.ofSeconds(30), Duration.ofSeconds(60))) {
      long start = System.nanoTime();
      CompletableFuture<Envelope> call = meta.call(GET.clone());
      CompletableFuture<Envelope> unsafe = meta.call(CREATE.clone());
      await().atMost(Duration.ofSeconds(10)).until(() -> silentCalls.get() == 2);
      writer.setData().forPath(path, healthy.address().getBytes(StandardCharsets.UTF_8));
      assertThat(who(call.get(budget.toMillis(), TimeUnit.MILLISECONDS))).isEqualTo("healthy");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(budget);
      // a call not safe to resend keeps waiting for its own answer (or timeout): it may have been carried out
      assertThat(unsafe).isNotDone();
      assertThat(silentCalls.get()).isEqualTo(2);
    }
  }

  @Test
  void twoTimeoutsInARowDropTheSilentAddress() {
    AtomicInteger silentCalls = new AtomicInteger();
    RpcServer stopped = silent(silentCalls);
    RpcServer healthy = answering("healthy", 0);
    // a locator that, like ZooKeeper before the silent leader's session expires, keeps naming it until invalidated
    HintLocator locator = new HintLocator(stopped.address(), healthy.address());
    try (MetaClient meta = new MetaClient(locator, rpc, Duration.ofMillis(200), Duration.ofSeconds(10))) {
      assertThat(who(meta.callSync(GET.clone()))).isEqualTo("healthy");
      assertThat(silentCalls.get()).isEqualTo(MetaClient.SWITCH_AFTER_TIMEOUTS);
      assertThat(locator.invalidations.get()).isEqualTo(1);
    }
  }

  @Test
  void aTimedOutCallThatIsNotSafeToResendSurfacesTheTimeout() {
    AtomicInteger silentCalls = new AtomicInteger();
    RpcServer stopped = silent(silentCalls);
    HintLocator locator = new HintLocator(stopped.address(), null);
    try (MetaClient meta = new MetaClient(locator, rpc, Duration.ofMillis(200), Duration.ofSeconds(10))) {
      assertThatThrownBy(() -> meta.callSync(CREATE.clone()))
          .satisfies(e -> assertThat(((BasaltException) e).code()).isEqualTo(ErrorCode.TIMEOUT));
      assertThat(silentCalls.get()).isEqualTo(1);
    }
  }

  @Test
  void anAnswerFromAnOlderEpochIsRefusedAndRetriedAtTheLeader() {
    RpcServer leader = answering("leader-epoch-7", 7);
    RpcServer stale = answering("stale-epoch-5", 5);
    HintLocator locator = new HintLocator(leader.address(), leader.address());
    try (MetaClient meta = new MetaClient(locator, rpc, Duration.ofSeconds(2), Duration.ofSeconds(10))) {
      assertThat(who(meta.callSync(GET.clone()))).isEqualTo("leader-epoch-7");
      assertThat(meta.epochs().seen()).isEqualTo(7);

      locator.address = stale.address(); // a deposed leader that has not noticed yet
      assertThat(who(meta.callSync(GET.clone()))).isEqualTo("leader-epoch-7");
      assertThat(meta.epochs().refused()).isEqualTo(1);
      assertThat(locator.invalidations.get()).isEqualTo(1);

      // not safe to resend: the stale leader's OK is not believed, the outcome is unknown as after a timeout
      locator.address = stale.address();
      assertThatThrownBy(() -> meta.callSync(CREATE.clone()))
          .satisfies(e -> assertThat(((BasaltException) e).code()).isEqualTo(ErrorCode.TIMEOUT));
      assertThat(meta.epochs().refused()).isEqualTo(2);
      assertThat(meta.epochs().seen()).isEqualTo(7);
    }
  }

  @Test
  void anErrorFromAnOlderEpochIsRefusedAndRetriedEvenWhenNotSafeToResend() {
    RpcServer leader = answering("leader-epoch-7", 7);
    AtomicInteger staleCalls = new AtomicInteger();
    RpcServer stale = server(5, req -> {
      staleCalls.incrementAndGet();
      return CompletableFuture.failedFuture(new BasaltException(ErrorCode.NO_SUCH_VOLUME, "pid deleted"));
    });
    HintLocator locator = new HintLocator(leader.address(), leader.address());
    MetaEpochFence shared = locator.epochs();
    try (MetaClient first = new MetaClient(locator, rpc, Duration.ofSeconds(2), Duration.ofSeconds(10));
        MetaClient second = new MetaClient(locator, rpc, Duration.ofSeconds(2), Duration.ofSeconds(10))) {
      first.callSync(GET.clone());
      // the second client of the same locator never saw epoch 7 itself: the fence is per locator
      locator.address = stale.address();
      assertThat(who(second.callSync(CREATE.clone()))).isEqualTo("leader-epoch-7");
      assertThat(staleCalls.get()).isEqualTo(1);
      assertThat(shared.refused()).isEqualTo(1);
      MetricRegistry registry = new MetricRegistry();
      shared.register(registry);
      assertThat(registry.getCounters().get("basalt_meta_stale_answers_refused").getCount()).isEqualTo(1);
      assertThat(registry.getGauges().get("basalt_meta_epoch_seen").getValue()).isEqualTo(7L);
    }
  }

  @Test
  void epochZeroIsAcceptedAfterANewerEpoch() {
    RpcServer leader = answering("leader-epoch-7", 7);
    RpcServer unstamped = answering("epoch-0", 0);
    RpcServer follower = server(0, req -> CompletableFuture.failedFuture(
        new NotLeaderException(leader.address(), "follower")));
    HintLocator locator = new HintLocator(leader.address(), null);
    try (MetaClient meta = new MetaClient(locator, rpc, Duration.ofSeconds(2), Duration.ofSeconds(10))) {
      meta.callSync(GET.clone());
      locator.address = unstamped.address();
      assertThat(who(meta.callSync(GET.clone()))).isEqualTo("epoch-0");
      locator.address = follower.address(); // NOT_LEADER stamped 0: followed, not refused
      assertThat(who(meta.callSync(GET.clone()))).isEqualTo("leader-epoch-7");
      assertThat(meta.epochs().refused()).isZero();
      assertThat(meta.epochs().seen()).isEqualTo(7);
    }
  }

  @Test
  void jitteredBackoffStaysWithinItsStep() {
    for (int attempt = 0; attempt < 12; attempt++) {
      long step = Math.min(1000, 20L << Math.min(attempt, 6));
      long b = MetaClient.BACKOFF.delayMillis(attempt);
      assertThat(b).isBetween(step / 2, step);
    }
  }

  /** Names {@code address} until invalidated without a hint, then {@code afterInvalidate} (if set). */
  private static final class HintLocator implements MetaLocator {
    volatile String address;
    final String afterInvalidate;
    final AtomicInteger invalidations = new AtomicInteger();
    final MetaEpochFence epochs = new MetaEpochFence();

    HintLocator(String address, String afterInvalidate) {
      this.address = address;
      this.afterInvalidate = afterInvalidate;
    }

    @Override
    public Optional<String> leaderAddress() {
      return Optional.ofNullable(address);
    }

    @Override
    public void invalidate(String hint) {
      invalidations.incrementAndGet();
      if (hint != null && !hint.isEmpty()) {
        address = hint;
      } else if (afterInvalidate != null) {
        address = afterInvalidate;
      }
    }

    @Override
    public MetaEpochFence epochs() {
      return epochs;
    }
  }
}
