package io.basalt.chunk;

import static io.basalt.chunk.ReplicatedWriteTest.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import java.util.ArrayList;
import java.util.List;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Chunk restarts: identity kept, a stopped replica caught up by the owner's retry queue, deleted extents GC'd. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ChunkLifecycleTest extends ClusterTestBase {
  private static final long PID = 5;

  @Test
  void stoppedReplicaCatchesUpAndPendingWritesComplete() {
    startCluster(new TestCluster(dir, 3), PID, 4096);
    c.stop(2);

    CompletableFuture<Long> w2 = c.client.write(c.address(0), PID, 4096, random(2, 4096), false);
    await().atMost(Duration.ofSeconds(20)).until(() ->
        c.chunk(0).registry().counter("basalt_chunk_replicate_retries").getCount() >= 2);
    CompletableFuture<Long> w3 = c.client.write(c.address(0), PID, 100, random(3, 9000), true);
    CompletableFuture<Long> w4 = c.client.write(c.address(0), PID, 8192, random(4, 4096), false);
    // The live replica gets every write; none is acknowledged while the stopped one misses them.
    await().atMost(Duration.ofSeconds(20)).until(() -> c.client.status(c.address(1), PID).getGen() == 4);
    assertThat(w2).isNotDone();
    assertThat(w3).isNotDone();
    assertThat(w4).isNotDone();

    c.restart(2);

    assertThat(w2.join()).isEqualTo(2);
    assertThat(w3.join()).isEqualTo(3);
    assertThat(w4.join()).isEqualTo(4);
    assertThat(c.assertReplicasIdentical(PID).getGen()).isEqualTo(4);
  }

  @Test
  void backlogBeyondTheLimitFailsNewWritesUnavailable() {
    c = new TestCluster(dir, 3, cfg -> cfg.withPeerBacklogBytes(64 * 1024));
    c.createExtent(PID);
    // The owner takes over while every member answers (a takeover needs them all: member catch-up).
    c.client.write(c.address(0), PID, 0, random(8, 4096), false).join();
    c.stop(2);
    List<CompletableFuture<Long>> pending = new ArrayList<>();
    for (int i = 0; i < 4; i++) pending.add(c.client.write(c.address(0), PID, i * 16384L, random(i, 16384), false));
    await().atMost(Duration.ofSeconds(20)).until(() -> c.client.status(c.address(1), PID).getGen() == 5);

    BasaltException e = ChunkTestClient.failure(c.client.write(c.address(0), PID, 0, random(9, 4096), false));
    assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(c.client.status(c.address(1), PID).getGen()).isEqualTo(5); // refused before any apply

    c.restart(2);
    pending.forEach(CompletableFuture::join);
    assertThat(c.client.write(c.address(0), PID, 0, random(9, 4096), false).join()).isEqualTo(6);
    c.assertReplicasIdentical(PID);
  }

  @Test
  void unexpectedFailureFailsOnlyThatRequest() {
    c = new TestCluster(dir, 3);
    c.meta.createExtent(PID, List.of(c.chunk(0).cid(), c.chunk(1).cid(), 99), TestCluster.MIB); // 99: no address
    c.createExtent(PID + 1);

    BasaltException e = ChunkTestClient.failure(c.client.write(c.address(0), PID, 0, random(1, 4096), false));
    assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL);
    assertThat(e.getMessage()).contains("pid=" + PID);
    assertThat(c.client.write(c.address(0), PID + 1, 0, random(2, 4096), false).join()).isEqualTo(1);
    c.assertReplicasIdentical(PID + 1);
  }

  @Test
  void restartKeepsTheCid() {
    c = new TestCluster(dir, 3);
    int cid = c.chunk(1).cid();
    c.stop(1);
    c.restart(1);

    assertThat(c.chunk(1).cid()).isEqualTo(cid);
    assertThat(c.meta.registrations()).containsExactly(1, 2, 3, cid);
    assertThat(c.chunk(1).store().identity()).hasValueSatisfying(id -> assertThat(id.cid()).isEqualTo(cid));
    await().atMost(Duration.ofSeconds(10)).until(() -> c.meta.heartbeats() >= 3);
  }

  @Test
  void replicasOfDeletedExtentsAreDeleted() {
    c = new TestCluster(dir, 3, cfg -> cfg.withIntervals(Duration.ofMillis(100), Duration.ofMillis(200)));
    c.createExtent(PID);
    c.createExtent(PID + 1);
    c.client.write(c.address(0), PID, 0, random(5, 4096), false).join();
    c.client.write(c.address(0), PID + 1, 0, random(6, 4096), false).join();

    c.meta.deleteExtent(PID);

    for (int i = 0; i < 3; i++) {
      String address = c.address(i);
      await().atMost(Duration.ofSeconds(20)).until(() -> !c.client.status(address, PID).getExists());
    }
    assertThat(c.chunk(0).ownedExtents()).isEqualTo(1);
    c.assertReplicasIdentical(PID + 1);
  }
}
