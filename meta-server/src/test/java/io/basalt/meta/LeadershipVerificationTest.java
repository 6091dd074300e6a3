package io.basalt.meta;

import static io.basalt.meta.MetaTestSupport.awaitActive;
import static io.basalt.meta.MetaTestSupport.config;
import static io.basalt.meta.MetaTestSupport.failure;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import io.basalt.failpoint.Failpoints;
import io.basalt.meta.state.LeadershipState;
import io.basalt.meta.store.ZkMetaStore;
import io.basalt.meta.store.ZkPaths;
import io.basalt.meta.zk.EmbeddedZooKeeper;
import io.basalt.proto.CreateVolumeRequest;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ListVolumesResponse;
import io.basalt.rpc.BasaltException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A leader decides nothing after a pause of its own (its clock jumps, as after SIGSTOP/SIGCONT) or on a suspended
 * connection until a ZooKeeper sync confirms it still leads; one that was replaced meanwhile steps down without a
 * single write. Requests already queued on the meta loop when the pause or the suspension is noticed are refused.
 */
@Timeout(120)
class LeadershipVerificationTest {
  private static final long MIB = 1L << 20;
  @TempDir
  Path dir;
  EmbeddedZooKeeper zk;
  MetaCore core;
  MetricRegistry registry;
  final AtomicLong skew = new AtomicLong();

  @BeforeEach
  void start() {
    zk = EmbeddedZooKeeper.start(dir);
    registry = new MetricRegistry();
    core = awaitActive(MetaCore.start(config(zk.getConnectionString()), "127.0.0.1:7001", registry,
        new Failpoints(), () -> System.nanoTime() + skew.get()));
    core.volumes().create(CreateVolumeRequest.newBuilder().setName("v1").setSizeBytes(4 * MIB).setReplicas(3)
        .setExtentSize(MIB).build()).join();
  }

  @AfterEach
  void stop() {
    core.close();
    zk.close();
  }

  long counter(String name) {
    return registry.counter(name).getCount();
  }

  /** Runs {@code request} queued on the meta loop behind {@code before}, both while the loop is held. */
  <T> CompletableFuture<T> queuedBehind(Runnable before, Supplier<CompletableFuture<T>> request)
      throws InterruptedException {
    CountDownLatch held = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    core.metaState().loop().execute(() -> {
      held.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    held.await();
    CompletableFuture<T> f = request.get();
    before.run();
    release.countDown();
    return f;
  }

  @Test
  void aPausedLeaderVerifiesBeforeItAnswersAndThenServesAgain() throws Exception {
    // the request was queued before the pause is noticed: it runs first, before any heartbeat or tick
    // the process is stopped for 3 s (threshold: a quarter of the 6 s ZooKeeper timeout)
    CompletableFuture<ListVolumesResponse> during = queuedBehind(() -> skew.addAndGet(3_000_000_000L),
        () -> core.volumes().list());
    BasaltException refused = failure(during);
    assertThat(refused.code()).isEqualTo(ErrorCode.NOT_READY);
    assertThat(refused.retryable()).isTrue();
    assertThat(refused.getMessage()).contains("confirming its leadership");

    awaitActive(core);
    assertThat(core.volumes().list().join().getVolumesCount()).isEqualTo(1);
    assertThat(counter("basalt_meta_leadership_verifications_total")).isEqualTo(1);
    assertThat(counter("basalt_meta_verifying_refusals_total")).isPositive();
    assertThat(counter("basalt_meta_leadership_verifications_failed_total")).isZero();
    assertThat(core.metaState().pausesDetected()).isEqualTo(1);
    assertThat(core.sessions().status().join().getPausesCompensated()).isPositive();
  }

  @Test
  void aLeaderReplacedDuringItsPauseStepsDownWithoutWritingAnything() throws Exception {
    long epoch = core.metaState().epoch();
    // someone else is elected behind the leader's back while it is stopped
    long theirs;
    try (CuratorFramework other = CuratorFrameworkFactory.newClient(zk.getConnectionString(), 5000, 3000,
        new RetryOneTime(50))) {
      other.start();
      other.blockUntilConnected();
      theirs = new ZkMetaStore(other, new ZkPaths("test")).claimLeadership().epoch();
    }
    CompletableFuture<?> during = queuedBehind(() -> skew.addAndGet(3_000_000_000L), () -> core.volumes().list());
    assertThat(failure(during).code()).isEqualTo(ErrorCode.NOT_READY);

    await().atMost(Duration.ofSeconds(20)).until(() ->
        counter("basalt_meta_leadership_verifications_failed_total") == 1);
    assertThat(counter("basalt_meta_fenced_total")).as("found out without a fenced write").isZero();
    // alone in the election, it wins again under a newer epoch and reloads
    awaitActive(core);
    assertThat(core.metaState().epoch()).isGreaterThan(theirs).isGreaterThan(epoch);
    assertThat(core.volumes().get("v1").join().getVid()).isEqualTo(1);
  }

  @Test
  void aSuspensionRefusesWhatIsAlreadyQueuedAndAReconnectIsVerified() throws Exception {
    AtomicReference<CompletableFuture<Void>> suspended = new AtomicReference<>();
    CompletableFuture<?> during = queuedBehind(() -> suspended.set(core.metaState().suspend()),
        () -> core.volumes().list());
    assertThat(failure(during).code()).isEqualTo(ErrorCode.NOT_READY);
    // the refusal runs on the loop before the suspension itself does: wait for that one too
    suspended.get().get(10, TimeUnit.SECONDS);
    assertThat(core.state()).isEqualTo(LeadershipState.SUSPENDED);
    assertThat(failure(core.sessions().status()).code()).isEqualTo(ErrorCode.NOT_READY);

    core.metaState().reconnected(true).join();
    awaitActive(core);
    assertThat(counter("basalt_meta_leadership_verifications_total")).isEqualTo(1);
    assertThat(core.volumes().list().join().getVolumesCount()).isEqualTo(1);
  }

  @Test
  void aStepDownRefusesWhatIsAlreadyQueued() throws Exception {
    CompletableFuture<?> during = queuedBehind(() -> core.metaState().stepDown("zookeeper session lost"),
        () -> core.volumes().list());
    assertThat(failure(during).code()).isIn(ErrorCode.NOT_READY, ErrorCode.NOT_LEADER);
  }

  @Test
  void aStrictServerRefusesToLeadWithAnUnsafeZooKeeperTimeout() throws Exception {
    // the test timings (sessions 1 s) cannot survive a failover with a 6 s ZooKeeper session
    assertThat(core.zkTimeoutChecked().get().safe()).as("not strict: only logged").isFalse();
    MetaCore strict = MetaCore.start(config(zk.getConnectionString()).withCluster("strict").withStrictZkTimeout(true),
        "127.0.0.1:7002", new MetricRegistry());
    try {
      ExecutionException e = Assertions.catchThrowableOfType(
          () -> strict.zkTimeoutChecked().get(), ExecutionException.class);
      assertThat(e.getCause()).hasMessageContaining("unsafe ZooKeeper session timeout")
          .hasMessageContaining("negotiated ZooKeeper session timeout 6000 ms");
      await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
          .until(() -> strict.state() == LeadershipState.FOLLOWER);
    } finally {
      strict.close();
    }
  }
}
