package io.basalt.chunk;

import static io.basalt.chunk.ReplicatedWriteTest.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.basalt.proto.ErrorCode;
import io.basalt.proto.HeldLease;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.Frame;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The owner side of fencing (DESIGN.md "Write path" 3 and 5): an owner never installs at an epoch its own replica has
 * moved past, a lease being installed is reported in keepalives, and a client write sent at an older epoch, or
 * reaching the owner after its deadline, is refused rather than applied.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OwnerFencingTest extends ClusterTestBase {
  private static final long PID = 5;
  private static final String BEFORE_INSTALL = "chunk.owner.before-install";

  @BeforeEach
  void start() {
    startCluster(new TestCluster(dir, 3), PID, 8192);
  }

  /**
   * Chunk 1 is granted the lease and held before it installs it (as when the meta leader dies right after the grant);
   * meanwhile chunk 2 becomes owner at a newer epoch, syncs every member (chunk 1's replica moves to that epoch) and
   * writes. Released, chunk 1 must not install at its fenced epoch: it would write gens its peers hold from chunk 2's
   * history, with other data (before the fix its replica ended at the same gen with a different hash).
   */
  @Test
  void aLeaseIsNotInstalledOnceTheLocalReplicaMovedToANewerEpoch() {
    c.meta.releaseLease(PID);
    c.chunk(1).failpoints().set(BEFORE_INSTALL, "hang");
    CompletableFuture<Long> held = c.client.write(c.address(1), PID, 0, random(2, 4096), false);
    long grantedEpoch = c.meta.extent(PID).epoch() + 1;
    int cid1 = c.chunk(1).cid();
    // the grant happened and the lease, not installed yet, is reported to meta like a held one
    await().atMost(Duration.ofSeconds(20)).until(() -> c.meta.reportedLeases(cid1).contains(
        HeldLease.newBuilder().setPid(PID).setEpoch(grantedEpoch).build()));
    assertThat(c.chunk(1).ownedExtents()).isZero();

    c.meta.releaseLease(PID); // a new meta leader that never heard of chunk 1's grant
    byte[] second = random(3, 4096);
    long gen = c.client.write(c.address(2), PID, 0, second, false).join();
    assertThat(c.client.status(c.address(1), PID).getEpoch()).isGreaterThan(grantedEpoch);

    c.chunk(1).failpoints().set(BEFORE_INSTALL, "off");
    BasaltException e = ChunkTestClient.failure(held);
    assertThat(e.code()).isIn(ErrorCode.STALE_EPOCH, ErrorCode.NOT_OWNER);
    assertThat(c.chunk(1).ownedExtents()).isZero();
    assertThat(c.client.read(c.address(2), PID, 0, 4096)).isEqualTo(second);
    assertThat(c.assertReplicasIdentical(PID).getGen()).isEqualTo(gen);
  }

  @Test
  void aWriteSentAtAnOlderEpochThanTheOwnersIsRefused() {
    long epoch = c.meta.extent(PID).epoch();
    long genBefore = c.client.status(c.address(0), PID).getGen();

    BasaltException e = ChunkTestClient.failure(write(0, epoch - 1, random(4, 4096), Duration.ofSeconds(10)));

    assertThat(e.code()).isEqualTo(ErrorCode.STALE_EPOCH);
    assertThat(c.chunk(0).registry().counter("basalt_chunk_write_stale_attempts").getCount()).isEqualTo(1);
    assertThat(c.client.status(c.address(0), PID).getGen()).isEqualTo(genBefore);
    // at the owner's epoch (and at a newer one it has not heard of yet) the write goes through
    long gen = write(0, epoch, random(5, 4096), Duration.ofSeconds(10)).join().header().getWriteResponse().getGen();
    assertThat(gen).isEqualTo(genBefore + 1);
  }

  /** A write held behind a takeover past its deadline is refused when the takeover ends, never applied late. */
  @Test
  void aWriteThatReachesTheOwnerAfterItsDeadlineIsNotApplied() {
    c.meta.releaseLease(PID);
    long genBefore = c.client.status(c.address(1), PID).getGen();
    c.chunk(1).failpoints().set(BEFORE_INSTALL, "hang");
    CompletableFuture<Frame> late = write(1, 0, random(6, 4096), Duration.ofMillis(300));
    assertThat(ChunkTestClient.failure(late).code()).isEqualTo(ErrorCode.TIMEOUT); // the client gave up

    c.chunk(1).failpoints().set(BEFORE_INSTALL, "off");
    await().atMost(Duration.ofSeconds(20)).until(() -> c.chunk(1).registry()
        .counter("basalt_chunk_write_late_attempts").getCount() == 1);
    assertThat(c.client.status(c.address(1), PID).getGen()).isEqualTo(genBefore);
    assertThat(c.client.read(c.address(1), PID, 0, 8192)).isEqualTo(random(1, 8192));
    c.assertReplicasIdentical(PID);
  }

  private CompletableFuture<Frame> write(int chunk, long epoch, byte[] data, Duration deadline) {
    return c.client.rawWrite(c.address(chunk), PID, epoch, data, deadline);
  }

  /**
   * A client whose map still names a chunk that is no member any more (it restarted and was replaced, as in the
   * functional tester's round 12 of seed 20261207) is redirected: NOT_OWNER, retryable, never an error that reaches
   * the NBD client as EINVAL. Meta answers such a lease request with the extent unchanged (MetaOpsTest), as FakeMeta
   * does.
   */
  @Test
  void aChunkThatIsNoMemberAnyMoreRedirectsTheClient() {
    int cid2 = c.chunk(2).cid();
    c.meta.releaseLease(PID);
    c.meta.removeReplica(PID, cid2);

    BasaltException write = ChunkTestClient.failure(c.client.write(c.address(2), PID, 0, random(6, 4096), false));
    BasaltException read = ChunkTestClient.failure(c.client.readAsync(c.address(2), PID, 0, 4096));

    for (BasaltException e : new BasaltException[] {write, read}) {
      assertThat(e.code()).isEqualTo(ErrorCode.NOT_OWNER);
      assertThat(e.retryable()).isTrue();
    }
    assertThat(c.meta.extent(PID).owner()).as("no lease for a chunk that is no member").isNotEqualTo(cid2);
  }
}
