package io.basalt.client.io;

import static io.basalt.client.io.FakeCluster.MIB;
import static io.basalt.client.io.FakeCluster.codeOf;
import static io.basalt.client.io.FakeCluster.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.basalt.client.VolumeHandle;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ExtentInfo;
import io.basalt.rpc.BasaltException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * How long a client attempt lives (DESIGN.md "Write path" 2 and 5): an attempt to a silent owner is given up as soon
 * as meta moves the lease; an I/O whose connection closed is never attempted again; and a new connection to the
 * volume is served only after the closed one's attempts on the wire have ended.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ExtendWith(NoLeakedBuffers.class)
class AttemptLifetimeTest {
  private FakeCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      for (int cid = 1; cid <= 3; cid++) {
        CompletableFuture<Void> gate = cluster.chunk(cid).gate;
        if (gate != null) {
          gate.complete(null); // answer what is still held, so every buffer is released
        }
      }
      cluster.close();
    }
  }

  private VolumeHandle open(ClientConfig config) {
    cluster = new FakeCluster(3, config);
    cluster.meta.addVolume("v1", 4 * MIB, MIB, 3);
    return cluster.provider.open("v1");
  }

  /** Calls time out after 30 s and are hedged after 50 ms. */
  private static ClientConfig hedging() {
    return ClientConfig.defaults().withCallDeadline(Duration.ofSeconds(30)).withHedgeAfter(Duration.ofMillis(50));
  }

  /** Writes block 1 at offset 0, then makes the owner of that extent hold its answers (it goes silent); returns it. */
  private FakeChunk silenceOwner(VolumeHandle volume) {
    volume.write(0, block(1), false).join();
    FakeChunk owner = cluster.chunk(cluster.meta.extent(volume.vid(), 0).getOwnerCid());
    owner.gate = new CompletableFuture<>();
    return owner;
  }

  private static ByteBuf block(int seed) {
    return Unpooled.directBuffer(4096).writeBytes(random(seed, 4096));
  }

  /** The owner goes silent; once meta names another owner the write goes there, long before the call deadline. */
  @Test
  void anAttemptToASilentOwnerIsGivenUpWhenMetaMovesTheLease() {
    VolumeHandle volume = open(hedging());
    FakeChunk owner = silenceOwner(volume);
    ExtentInfo e = cluster.meta.extent(volume.vid(), 0);

    CompletableFuture<Void> w = volume.write(0, block(2), false);
    await().atMost(Duration.ofSeconds(5)).until(() -> owner.attempts.get() >= 2);
    assertThat(w).isNotDone();
    int next = e.getOwnerCid() % 3 + 1;
    cluster.meta.setOwner(e.getPid(), next);

    w.orTimeout(10, TimeUnit.SECONDS).join();
    assertThat(cluster.provider.metrics().hedges()).isEqualTo(1);
    assertThat(cluster.chunk(next).writes.get()).isGreaterThanOrEqualTo(1);
    assertThat(volume.scope().onWire()).as("the given-up attempt can no longer land").isZero();
  }

  /** While meta still names the silent owner, the attempt is kept (it may yet be answered). */
  @Test
  void anUnansweredAttemptIsKeptWhileTheLeaseStaysPut() {
    VolumeHandle volume = open(hedging());
    FakeChunk owner = silenceOwner(volume);
    int getExtentBefore = cluster.meta.getExtentCalls.get();

    CompletableFuture<Void> w = volume.write(0, block(2), false);
    await().atMost(Duration.ofSeconds(5)).until(() -> cluster.meta.getExtentCalls.get() >= getExtentBefore + 3);
    assertThat(w).isNotDone();
    owner.gate.complete(null);

    w.orTimeout(10, TimeUnit.SECONDS).join();
    assertThat(cluster.provider.metrics().hedges()).isZero();
  }

  /**
   * Meta knowing no owner is not enough to give an attempt up: a new meta leader knows none until the owners report
   * in, and the owner may be alive and about to apply it.
   */
  @Test
  void anAttemptIsKeptWhenMetaOnlyForgotTheOwner() {
    VolumeHandle volume = open(hedging());
    FakeChunk owner = silenceOwner(volume);
    ExtentInfo e = cluster.meta.extent(volume.vid(), 0);
    CompletableFuture<Void> w = volume.write(0, block(2), false);
    cluster.meta.setOwner(e.getPid(), 0);
    int getExtentBefore = cluster.meta.getExtentCalls.get();

    await().atMost(Duration.ofSeconds(5)).until(() -> cluster.meta.getExtentCalls.get() >= getExtentBefore + 3);
    assertThat(w).isNotDone();
    owner.gate.complete(null);
    w.orTimeout(10, TimeUnit.SECONDS).exceptionally(err -> null).join();
    assertThat(cluster.provider.metrics().hedges()).isZero();
  }

  /** A write retrying against an owner that keeps failing stops at once when its connection closes. */
  @Test
  void aClosedConnectionsRetryingWriteIsNeverAttemptedAgain() {
    VolumeHandle volume = open(ClientConfig.defaults().withMaxBackoff(Duration.ofMillis(20)));
    volume.write(0, block(1), false).join();
    FakeChunk owner = cluster.chunk(cluster.meta.extent(volume.vid(), 0).getOwnerCid());
    owner.standing = new BasaltException(ErrorCode.UNAVAILABLE, "owner failing over", true);

    CompletableFuture<Void> w = volume.write(0, block(2), false);
    await().atMost(Duration.ofSeconds(5)).until(() -> owner.attempts.get() >= 4);
    volume.close();

    assertThat(codeOf(w)).isEqualTo(ErrorCode.CANCELLED);
    int attempts = owner.attempts.get();
    owner.standing = null;
    // a retry would have gone out within a few backoffs; none does (and the write is counted in doubt)
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> owner.attempts.get() == attempts);
    assertThat(cluster.provider.metrics().inDoubt()).isEqualTo(1);
  }

  /**
   * A connection closes with a write on the wire to a silent owner: a new connection to the volume is served only
   * once that attempt has ended, so it can no longer land after the reconnected client's newer writes.
   */
  @Test
  void aNewConnectionWaitsUntilTheClosedOnesAttemptsHaveEnded() throws Exception {
    VolumeHandle first = open(ClientConfig.defaults().withCallDeadline(Duration.ofSeconds(30)));
    FakeChunk owner = silenceOwner(first);
    CompletableFuture<Void> inFlight = first.write(0, block(2), false);
    await().atMost(Duration.ofSeconds(5)).until(() -> first.scope().onWire() == 1);

    first.close();
    assertThat(first.shared().drainingConnections()).isEqualTo(1);
    CompletableFuture<VolumeHandle> second = CompletableFuture.supplyAsync(() -> cluster.provider.open("v1"));
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> !second.isDone());

    owner.gate.complete(null);
    VolumeHandle reopened = second.get(10, TimeUnit.SECONDS);
    inFlight.orTimeout(10, TimeUnit.SECONDS).exceptionally(err -> null).join();
    assertThat(first.shared().drainingConnections()).isZero();
    reopened.write(0, block(3), false).join();
  }
}
