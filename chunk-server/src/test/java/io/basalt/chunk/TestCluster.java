package io.basalt.chunk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import io.basalt.common.HostPort;
import io.basalt.common.MonotonicClock;
import io.basalt.proto.ReplicaStatusResponse;
import io.basalt.session.FollowerSession;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.UnaryOperator;

/** A fake meta plus N real chunk servers (real RocksDB, real TCP on 127.0.0.1) in this JVM. */
final class TestCluster implements AutoCloseable {
  static final long MIB = 1 << 20;

  final FakeMeta meta = new FakeMeta();
  final ChunkTestClient client = new ChunkTestClient();
  private final Path root;
  private final UnaryOperator<ChunkConfig> tweak;
  private final ChunkServer[] chunks;
  private final MonotonicClock[] clocks;

  TestCluster(Path root, int n) {
    this(root, n, UnaryOperator.identity());
  }

  TestCluster(Path root, int n, UnaryOperator<ChunkConfig> tweak) {
    this(root, n, tweak, i -> MonotonicClock.SYSTEM);
  }

  /** {@code clockOf}: the clock of chunk i (a test moves a ManualClock to make deadlines or leases run out). */
  TestCluster(Path root, int n, UnaryOperator<ChunkConfig> tweak, IntFunction<MonotonicClock> clockOf) {
    this.root = root;
    this.tweak = tweak;
    this.chunks = new ChunkServer[n];
    this.clocks = new MonotonicClock[n];
    for (int i = 0; i < n; i++) {
      clocks[i] = clockOf.apply(i);
      ChunkConfig cfg = tweak.apply(ChunkConfig.of(root.resolve("chunk" + i), meta.address())
          .withThreads(2, 2).withIntervals(Duration.ofMillis(200), Duration.ofSeconds(30)));
      chunks[i] = new ChunkServer(cfg, new MetricRegistry(), clocks[i]).start();
    }
    for (ChunkServer chunk : chunks) {
      awaitSession(chunk);
    }
  }

  /**
   * start() returns once the chunk is registered; its session opens with the first keepalive answer. Until then the
   * owner path refuses leases (retryable NO_SESSION), which a test's direct write would take as a failure.
   */
  private static void awaitSession(ChunkServer chunk) {
    await().atMost(Duration.ofSeconds(10)).until(() -> chunk.sessionState() == FollowerSession.State.CONNECTED);
  }

  ChunkServer chunk(int i) {
    return chunks[i];
  }

  String address(int i) {
    return chunks[i].address();
  }

  List<Integer> cids() {
    List<Integer> out = new ArrayList<>();
    for (ChunkServer c : chunks) out.add(c.cid());
    return out;
  }

  void createExtent(long pid) {
    meta.createExtent(pid, cids(), MIB);
  }

  void stop(int i) {
    chunks[i].close();
  }

  /** Restarts chunk i on the same data directory and the same port. */
  ChunkServer restart(int i) {
    ChunkConfig cfg = chunks[i].config().withListen(HostPort.parse(chunks[i].address()));
    chunks[i] = new ChunkServer(cfg, new MetricRegistry(), clocks[i]).start();
    awaitSession(chunks[i]);
    return chunks[i];
  }

  /** Every replica of pid exists with the same gen and the same content hash; returns that status. */
  ReplicaStatusResponse assertReplicasIdentical(long pid) {
    int[] all = new int[chunks.length];
    for (int i = 0; i < all.length; i++) all[i] = i;
    return assertReplicasIdentical(pid, all);
  }

  /** As {@link #assertReplicasIdentical(long)} over the chunks at {@code indexes} (e.g. the ones still running). */
  ReplicaStatusResponse assertReplicasIdentical(long pid, int... indexes) {
    ReplicaStatusResponse first = client.status(address(indexes[0]), pid);
    assertThat(first.getExists()).as("replica exists on cid=%d", first.getCid()).isTrue();
    for (int k = 1; k < indexes.length; k++) {
      ReplicaStatusResponse s = client.status(address(indexes[k]), pid);
      assertThat(s.getExists()).as("replica exists on cid=%d", s.getCid()).isTrue();
      assertThat(s.getGen()).as("gen on cid=%d", s.getCid()).isEqualTo(first.getGen());
      assertThat(s.getHash()).as("hash on cid=%d", s.getCid()).isEqualTo(first.getHash());
      assertThat(s.getBlockCount()).isEqualTo(first.getBlockCount());
    }
    return first;
  }

  @Override
  public void close() {
    client.close();
    for (ChunkServer c : chunks) {
      if (c != null) c.close();
    }
    meta.close();
  }
}
