package io.basalt.chunk;

import static io.basalt.chunk.ReplicatedWriteTest.random;
import static io.basalt.chunk.TestCluster.MIB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.basalt.chunk.store.ExtentEpoch;
import io.basalt.chunk.store.ByteRange;
import io.basalt.chunk.store.ReplicaStore.Mutation;
import io.basalt.proto.ApplyChangesRequest;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.FetchChangesRequest;
import io.basalt.proto.FetchChangesResponse;
import io.basalt.proto.ReplicateRequest;
import io.basalt.proto.SyncStatusRequest;
import io.basalt.proto.SyncStatusResponse;
import io.basalt.proto.WriteKind;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.Frame;
import io.basalt.rpc.StaleEpochException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Lease takeover catch-up (MemberSync + MemberSyncService) over three real chunk servers and a fake meta. Crash
 * states are built by applying gens straight to some members' stores (what an owner that died mid-replication
 * leaves behind), or with a replica failpoint, then the lease moves and the next write shows the result.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MemberSyncTest extends ClusterTestBase {
  private static final long PID = 11;
  private static final int B = 4096;

  private byte[] model;

  /**
   * Two chunks with one ordered thread each take over extents of which the other is a member, all at once. A
   * takeover that waited for its peers on its own pid thread would deadlock with the peer doing the same (each
   * peer's SyncStatus handler needs the thread the other holds) until the sync timed out and the write failed.
   */
  @Test
  void simultaneousTakeoversOnSharedThreadsDoNotDeadlock() {
    c = new TestCluster(dir, 2, cfg -> cfg.withThreads(1, 2));
    List<CompletableFuture<Long>> writes = new ArrayList<>();
    for (long pid = 100; pid < 116; pid++) {
      c.meta.createExtent(pid, c.cids(), MIB);
    }
    for (long pid = 100; pid < 116; pid++) {
      writes.add(c.client.write(c.address((int) (pid % 2)), pid, 0, random((int) pid, B), false));
    }
    assertThat(writes).allSatisfy(w -> assertThat(w.join()).isEqualTo(1));
    for (int i = 0; i < 2; i++) {
      assertThat(c.chunk(i).registry().counter("basalt_chunk_member_sync_failures").getCount())
          .as("no takeover of chunk %d timed out", i).isZero();
    }
  }

  @Test
  void newOwnerPullsFromTheMemberAheadAndPushesToTheOneBehind() {
    start(UnaryOperator.identity());
    write(0, 0, random(1, 3 * B));
    write(0, 5L * B, random(2, B));
    write(0, 100, random(3, 10));
    // The owner (chunk 0) applied gens 4..8 and died before chunk 2 got any of them; chunk 1 got 4 and 5.
    applyDirect(PID, 4, 0, random(4, 2 * B), 0, 1);
    applyDirect(PID, 5, 10L * B + 7, random(5, 3000), 0, 1);
    applyDirect(PID, 6, B, random(6, B), 0);
    applyDirect(PID, 7, 10L * B, random(7, 2 * B), 0);
    applyDirect(PID, 8, 5L * B, new byte[B], 0); // zeros: the block is deleted, on the members behind too
    c.meta.releaseLease(PID);

    assertThat(write(1, 7L * B, random(9, B))).isEqualTo(9);

    assertThat(c.assertReplicasIdentical(PID).getGen()).isEqualTo(9);
    assertThat(c.client.read(c.address(1), PID, 0, (int) MIB)).isEqualTo(model);
    // Pulled: gens 6..8 = blocks 1, 5, 10, 11. Pushed to chunk 2: gens 4..8 = blocks 0, 1, 5, 10, 11.
    assertThat(counter(1, "basalt_chunk_member_sync_pulled_bytes")).isEqualTo(4 * B);
    assertThat(counter(1, "basalt_chunk_member_sync_pushed_bytes")).isEqualTo(5 * B);
    assertThat(c.chunk(1).registry().timer("basalt_chunk_member_sync").getCount()).isEqualTo(1);
    assertThat(c.chunk(0).ownedExtents()).as("the old owner stepped down").isZero();
  }

  @Test
  void survivorsOfADeadOwnerConvergeOnTheHighestSurvivor() {
    start(UnaryOperator.identity());
    write(0, 0, random(1, 2 * B));
    c.chunk(2).failpoints().set("chunk.replica.before-apply", "error");
    List<CompletableFuture<Long>> inDoubt = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      byte[] data = random(10 + i, 5000);
      inDoubt.add(c.client.write(c.address(0), PID, 3L * B * i + 50, data, false));
      System.arraycopy(data, 0, model, 3 * B * i + 50, data.length); // chunk 1 has them: they survive
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> gen(1) == 4);
    assertThat(gen(2)).isEqualTo(1);
    assertThat(inDoubt).noneMatch(CompletableFuture::isDone);

    int dead = c.chunk(0).cid();
    c.stop(0);
    c.meta.removeReplica(PID, dead);
    inDoubt.forEach(f -> assertThat(ChunkTestClient.failure(f).retryable()).isTrue()); // never acknowledged
    c.chunk(2).failpoints().set("chunk.replica.before-apply", "off");

    assertThat(write(2, 20L * B, random(20, B))).isEqualTo(5);

    assertThat(c.assertReplicasIdentical(PID, 1, 2).getGen()).isEqualTo(5);
    assertThat(c.client.read(c.address(2), PID, 0, (int) MIB)).isEqualTo(model);
    assertThat(counter(2, "basalt_chunk_member_sync_pulled_bytes")).isPositive();
    assertThat(counter(2, "basalt_chunk_member_sync_pushed_bytes")).isZero();
  }

  @Test
  void memberBehindTheLogRetentionFailsTheTakeoverUnavailable() {
    start(cfg -> cfg.withGenLogRetention(4));
    write(0, 0, random(1, B));
    write(0, B, random(2, B));
    for (int gen = 3; gen <= 12; gen++) applyDirect(PID, gen, (gen % 8) * (long) B, random(gen, B), 0, 1);
    c.meta.releaseLease(PID);

    BasaltException push = ChunkTestClient.failure(c.client.write(c.address(1), PID, 0, random(50, B), false));

    assertThat(push.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(push.retryable()).isTrue();
    assertThat(push.getMessage()).contains("peerCid=" + c.chunk(2).cid()).contains("needs a full copy")
        .contains("pid=" + PID);
    assertThat(gen(1)).as("nothing applied").isEqualTo(12);
    assertThat(gen(2)).isEqualTo(2);
    assertThat(c.chunk(1).ownedExtents()).isZero();
    assertThat(counter(1, "basalt_chunk_member_sync_failures")).isEqualTo(1);

    // The other way round: the member behind takes over, and the log of the members ahead is too short.
    c.meta.releaseLease(PID);
    BasaltException pull = ChunkTestClient.failure(c.client.write(c.address(2), PID, 0, random(51, B), false));
    assertThat(pull.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(pull.getMessage()).contains("no longer reaches gen=3").contains("needs a full copy");
    assertThat(List.of(gen(0), gen(1), gen(2))).containsExactly(12L, 12L, 2L);
  }

  @Test
  void staleOwnersLateReplicateAfterSyncStatusAtANewerEpochIsRejected() {
    start(UnaryOperator.identity());
    write(0, 0, random(1, B));
    long epoch = c.meta.extent(PID).epoch();
    int oldOwner = c.chunk(0).cid();
    int newOwner = c.chunk(1).cid();
    c.meta.grantLease(PID, newOwner); // chunk 0 has not noticed yet

    SyncStatusResponse s = syncStatus(2, epoch + 1, newOwner);
    assertThat(s.getEpoch()).isEqualTo(epoch + 1);
    assertThat(s.getGen()).isEqualTo(1);
    assertThat(s.getExists()).isTrue();

    ReplicateRequest late = ReplicateRequest.newBuilder().setPid(PID).setEpoch(epoch).setGen(2).setOffset(0)
        .setLength(B).setKind(WriteKind.WRITE).setOwnerCid(oldOwner).build();
    BasaltException e = ChunkTestClient.failure(c.client.replicate(c.address(2), late, random(2, B)));
    assertThat(e).isInstanceOf(StaleEpochException.class);
    assertThat(((StaleEpochException) e).currentEpoch()).isEqualTo(epoch + 1);
    assertThat(gen(2)).isEqualTo(1);

    // The old owner still takes a write: applied locally, refused by the fenced member, never acknowledged.
    byte[] inDoubt = random(3, B);
    BasaltException w = ChunkTestClient.failure(c.client.write(c.address(0), PID, 2L * B, inDoubt, false));
    assertThat(w.code()).isIn(ErrorCode.STALE_EPOCH, ErrorCode.NOT_OWNER);
    assertThat(gen(0)).isEqualTo(2);
    assertThat(c.chunk(0).ownedExtents()).isZero();
    System.arraycopy(inDoubt, 0, model, 2 * B, B); // the highest member has it: it survives

    assertThat(write(1, B, random(4, B))).isEqualTo(3);
    assertThat(c.assertReplicasIdentical(PID).getGen()).isEqualTo(3);
    assertThat(c.client.read(c.address(1), PID, 0, (int) MIB)).isEqualTo(model);
  }

  @Test
  void syncStatusAtANewerEpochStepsTheOldOwnerDown() {
    start(UnaryOperator.identity());
    write(0, 0, random(1, B));
    long epoch = c.meta.extent(PID).epoch();
    c.meta.grantLease(PID, c.chunk(1).cid());
    assertThat(c.chunk(0).ownedExtents()).isEqualTo(1);

    assertThat(syncStatus(0, epoch + 1, c.chunk(1).cid()).getEpoch()).isEqualTo(epoch + 1);

    assertThat(c.chunk(0).ownedExtents()).isZero();
    BasaltException notConfirmed = ChunkTestClient.failure(call(2, Envelope.newBuilder().setSyncStatus(
        SyncStatusRequest.newBuilder().setPid(PID).setEpoch(epoch + 5).setOwnerCid(c.chunk(1).cid())), null));
    assertThat(notConfirmed.code()).as("a higher epoch than meta's is not adopted").isEqualTo(ErrorCode.STALE_EPOCH);
  }

  @Test
  void takeoverWithMembersAtOneGenCopiesNothing() {
    start(UnaryOperator.identity());
    write(0, 0, random(1, B));
    write(0, B, random(2, B));
    c.meta.releaseLease(PID);

    assertThat(write(2, 2L * B, random(3, B))).isEqualTo(3);

    assertThat(c.assertReplicasIdentical(PID).getGen()).isEqualTo(3);
    assertThat(counter(2, "basalt_chunk_member_sync_pulled_bytes")).isZero();
    assertThat(counter(2, "basalt_chunk_member_sync_pushed_bytes")).isZero();
    assertThat(c.chunk(2).registry().timer("basalt_chunk_member_sync").getCount()).isEqualTo(1);
  }

  @Test
  void aMembersUnfinishedCatchUpIsRewrittenByTheNextOwner() {
    start(UnaryOperator.identity());
    write(0, 0, random(1, 4 * B));
    write(0, 8L * B, random(2, B));
    partialPage(1); // the owner, ahead at gen 5, had pushed one page to chunk 1 when it died
    int dead = c.chunk(0).cid();
    c.stop(0);
    c.meta.removeReplica(PID, dead);

    assertThat(write(2, 20L * B, random(3, B))).isEqualTo(3);

    assertThat(c.assertReplicasIdentical(PID, 1, 2).getGen()).isEqualTo(3);
    assertThat(c.client.read(c.address(2), PID, 0, (int) MIB)).isEqualTo(model);
    assertThat(c.chunk(1).store().partialRanges(PID)).isEmpty();
    assertThat(counter(2, "basalt_chunk_member_sync_pushed_bytes")).isEqualTo(2 * B);
  }

  @Test
  void anOwnerWithAnUnfinishedCatchUpRepairsItselfFirst() {
    start(UnaryOperator.identity());
    write(0, 0, random(1, 4 * B));
    write(0, 8L * B, random(2, B));
    partialPage(1);
    int dead = c.chunk(0).cid();
    c.stop(0);
    c.meta.removeReplica(PID, dead);

    assertThat(write(1, 20L * B, random(3, B))).isEqualTo(3);

    assertThat(c.assertReplicasIdentical(PID, 1, 2).getGen()).isEqualTo(3);
    assertThat(c.client.read(c.address(1), PID, 0, (int) MIB)).isEqualTo(model);
    assertThat(counter(1, "basalt_chunk_member_sync_pulled_bytes")).isEqualTo(2 * B);
  }

  @Test
  void anUnfinishedCatchUpOnTheOnlyMemberAtTheTopFailsUnavailable() {
    start(UnaryOperator.identity());
    write(0, 0, random(1, 4 * B));
    applyDirect(PID, 2, 0, random(2, B), 0, 1);
    partialPage(1);
    int dead = c.chunk(0).cid();
    c.stop(0);
    c.meta.removeReplica(PID, dead);

    BasaltException e = ChunkTestClient.failure(c.client.write(c.address(2), PID, 0, random(3, B), false));

    assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(e.getMessage()).contains("no complete member at maxGen=2").contains("partialCids=[" + c.chunk(1).cid());
    assertThat(List.of(gen(1), gen(2))).containsExactly(2L, 1L);
  }

  @Test
  void largeCatchUpsArePaged() {
    start(UnaryOperator.identity());
    long pid = PID + 1;
    c.meta.createExtent(pid, c.cids(), 16 * MIB);
    c.client.write(c.address(0), pid, 0, random(1, B), false).join();
    byte[] big = random(2, 10 * (int) MIB); // more than one 8 MiB page
    applyDirect(pid, 2, 0, big, 0);
    c.meta.releaseLease(pid);

    assertThat(c.client.write(c.address(1), pid, 12 * MIB, random(3, B), false).join()).isEqualTo(3);

    assertThat(c.assertReplicasIdentical(pid).getGen()).isEqualTo(3);
    assertThat(c.client.read(c.address(1), pid, 0, big.length)).isEqualTo(big);
    assertThat(counter(1, "basalt_chunk_member_sync_pulled_bytes")).isEqualTo(10 * MIB);
    assertThat(counter(1, "basalt_chunk_member_sync_pushed_bytes")).isEqualTo(10 * MIB);
  }

  @Test
  void fetchChangesPagesByMaxBytesAndBadRequestsAreInvalidArguments() {
    start(UnaryOperator.identity());
    write(0, 0, random(1, 3 * B));
    write(0, 10L * B, random(2, B));
    long epoch = c.meta.extent(PID).epoch();
    int owner = c.chunk(0).cid();

    Frame first = call(1, fetch(epoch, owner, 0, 0, 2 * B), null).join();
    Frame second;
    try {
      FetchChangesResponse r = first.header().getFetchChangesResponse();
      assertThat(r.getGen()).isEqualTo(2);
      assertThat(r.getRangesList()).containsExactly(range(0, 2 * B));
      assertThat(r.getNextOffset()).isEqualTo(2 * B);
      assertThat(ByteBufUtil.getBytes(first.data())).isEqualTo(Arrays.copyOfRange(model, 0, 2 * B));
      second = call(1, fetch(epoch, owner, 0, r.getNextOffset(), 2 * B), null).join();
    } finally {
      first.release();
    }
    try {
      FetchChangesResponse r = second.header().getFetchChangesResponse();
      assertThat(r.getRangesList()).containsExactly(range(2 * B, B), range(10 * B, B));
      assertThat(r.getNextOffset()).isZero();
      assertThat(second.data().readableBytes()).isEqualTo(2 * B);
    } finally {
      second.release();
    }

    assertInvalid(call(1, Envelope.newBuilder().setSyncStatus(SyncStatusRequest.newBuilder().setPid(PID)
        .setOwnerCid(owner)), null), "needs epoch > 0");
    assertInvalid(call(1, fetch(epoch, owner, 0, 0, 100), null), "max_bytes");
    assertInvalid(call(1, fetch(epoch, owner, 0, 100, B), null), "start_offset");
    assertInvalid(call(1, fetch(epoch, owner, 5, 0, B), null), "changes since gen=5");
    assertInvalid(call(1, apply(epoch, owner, 2, 3, range(100, B), true), Unpooled.wrappedBuffer(new byte[B])),
        "block-aligned");
    assertInvalid(call(1, apply(epoch, owner, 3, 2, range(0, B), true), Unpooled.wrappedBuffer(new byte[B])),
        "below base_gen");
    assertInvalid(call(1, apply(epoch, owner, 2, 3, range(0, 2 * B), true), Unpooled.wrappedBuffer(new byte[B])),
        "data length mismatch");
    BasaltException gap = ChunkTestClient.failure(call(1, apply(epoch, owner, 0, 3, range(0, B), true),
        Unpooled.wrappedBuffer(new byte[B])));
    assertThat(gap.code()).isEqualTo(ErrorCode.GENERATION_GAP);
    assertThat(gap.getMessage()).contains("have gen=2").contains("based on gen=0");
    c.assertReplicasIdentical(PID);
  }

  // ---- helpers ----

  private void start(UnaryOperator<ChunkConfig> tweak) {
    c = new TestCluster(dir, 3, tweak);
    c.createExtent(PID);
    model = new byte[(int) MIB];
  }

  /** An acknowledged write through chunk i, recorded in the model; returns its gen. */
  private long write(int i, long offset, byte[] data) {
    long gen = c.client.write(c.address(i), PID, offset, data, false).join();
    System.arraycopy(data, 0, model, (int) offset, data.length);
    return gen;
  }

  /** One gen applied straight to the stores of {@code chunks}, as an owner's local apply or a replica's would. */
  private void applyDirect(long pid, long gen, long offset, byte[] data, int... chunks) {
    long epoch = c.meta.extent(pid).epoch();
    for (int i : chunks) {
      ByteBuf buf = Unpooled.wrappedBuffer(data);
      try {
        c.chunk(i).store().apply(new ExtentEpoch(pid, epoch),
            new Mutation(gen, epoch, offset, data.length, WriteKind.WRITE, buf), false);
      } finally {
        buf.release();
      }
    }
    if (pid == PID && chunks.length > 0 && chunks[0] == 0) {
      System.arraycopy(data, 0, model, (int) offset, data.length); // chunk 0 is always the highest member
    }
  }

  /** Chunk i got the first page (blocks 1 and 2, other content) of a catch-up towards gen 5, not the last one. */
  private void partialPage(int i) {
    long epoch = c.meta.extent(PID).epoch();
    long gen = gen(i);
    ByteBuf page = Unpooled.wrappedBuffer(random(77, 2 * B));
    try {
      c.chunk(i).store().applyChanges(new ExtentEpoch(PID, epoch), gen, 5, List.of(new ByteRange(B, 2 * B)), page,
          false);
    } finally {
      page.release();
    }
    assertThat(c.chunk(i).store().partialRanges(PID)).containsExactly(new ByteRange(B, 2 * B));
  }

  private long gen(int i) {
    return c.client.status(c.address(i), PID).getGen();
  }

  private long counter(int i, String name) {
    return c.chunk(i).registry().counter(name).getCount();
  }

  private SyncStatusResponse syncStatus(int i, long epoch, int ownerCid) {
    Frame f = call(i, Envelope.newBuilder().setSyncStatus(SyncStatusRequest.newBuilder().setPid(PID).setEpoch(epoch)
        .setOwnerCid(ownerCid)), null).join();
    f.release();
    return f.header().getSyncStatusResponse();
  }

  private CompletableFuture<Frame> call(int i, Envelope.Builder req, ByteBuf data) {
    return c.client.call(c.address(i), req, data);
  }

  private static Envelope.Builder fetch(long epoch, int owner, long since, long start, int maxBytes) {
    return Envelope.newBuilder().setFetchChanges(FetchChangesRequest.newBuilder().setPid(PID).setEpoch(epoch)
        .setOwnerCid(owner).setSinceGen(since).setStartOffset(start).setMaxBytes(maxBytes));
  }

  private static Envelope.Builder apply(long epoch, int owner, long base, long to, io.basalt.proto.ByteRange r,
      boolean last) {
    return Envelope.newBuilder().setApplyChanges(ApplyChangesRequest.newBuilder().setPid(PID).setEpoch(epoch)
        .setOwnerCid(owner).setBaseGen(base).setToGen(to).addRanges(r).setLast(last));
  }

  private static io.basalt.proto.ByteRange range(long offset, long length) {
    return io.basalt.proto.ByteRange.newBuilder().setOffset(offset).setLength(length).build();
  }

  private static void assertInvalid(CompletableFuture<Frame> call, String messagePart) {
    BasaltException e = ChunkTestClient.failure(call.thenApply(f -> {
      f.release();
      return f;
    }));
    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(e.getMessage()).contains(messagePart);
  }
}
