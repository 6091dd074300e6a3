package io.basalt.chunk;

import static io.basalt.chunk.ReplicatedWriteTest.random;
import static io.basalt.chunk.TestCluster.MIB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.basalt.chunk.store.ExtentEpoch;
import io.basalt.chunk.store.ReplicaMeta;
import io.basalt.chunk.store.ReplicaStore.Mutation;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.FetchBlocksRequest;
import io.basalt.proto.FetchBlocksResponse;
import io.basalt.proto.ReplicaState;
import io.basalt.proto.ReplicateRequest;
import io.basalt.proto.WriteKind;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.Frame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Recovery on the chunk side (DESIGN.md "Recovery") over real chunk servers and a fake meta: the target's copy while
 * the owner forwards writes, the owner adopting and promoting the target, ReplicaFailed from the owner, RECOVERING
 * replica admission, cancellation.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RecoveryTest extends ClusterTestBase {
  private static final long PID = 21;
  private static final int B = 4096;

  /**
   * Chunk 3 recovers an extent of chunks 0-2 while a writer keeps writing (aligned, unaligned, zeroes, trims)
   * through the owner; each copied batch waits a little before it is applied, so forwarded writes overtake it
   * (dirty blocks). The owner adopts the target without stepping down, meta promotes it, and all four replicas end
   * identical.
   */
  @Test
  void fullCopyWithConcurrentWritesEndsIdenticalToTheOwner() throws Exception {
    c = new TestCluster(dir, 4);
    c.meta.sendRefresh(true);
    long size = 4 * MIB;
    c.meta.createExtent(PID, c.cids().subList(0, 3), size);
    Random rnd = new Random(5);
    for (int i = 0; i < 64; i++) {
      c.client.write(c.address(0), PID, (long) rnd.nextInt((int) (size / B)) * B, random(i, 4 * B), false).join();
    }
    c.chunk(3).failpoints().set("chunk.recovery.copy-batch", "delay(150)");
    c.meta.throttle(8L << 20);
    int target = c.chunk(3).cid();
    long recoveryEpoch = c.meta.setRecovering(PID, target);

    List<CompletableFuture<Long>> writes = new ArrayList<>();
    int n = 0;
    while (!c.meta.extent(PID).replicas().contains(target) && n < 5000) {
      writes.add(nextWrite(rnd, n++, size));
      if (writes.size() % 8 == 0) writes.get(writes.size() - 1).join(); // keep a few in flight, not thousands
    }
    for (int i = 0; i < 20; i++) writes.add(nextWrite(rnd, n++, size)); // after the promotion too
    writes.forEach(CompletableFuture::join);

    FakeMeta.Extent x = c.meta.extent(PID);
    assertThat(x.replicas()).contains(target);
    assertThat(x.recovering()).isZero();
    assertThat(n).as("writes ran during the copy").isGreaterThan(8);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(c.client.status(c.address(3), PID).getState()).isEqualTo(ReplicaState.ACTIVE));
    c.assertReplicasIdentical(PID);
    assertThat(c.client.read(c.address(0), PID, 0, B)).isEqualTo(c.client.read(c.address(0), PID, 0, B));
    assertThat(c.chunk(0).ownedExtents()).as("the owner adopted the target, it never stepped down").isEqualTo(1);
    assertThat(c.chunk(0).registry().timer("basalt_chunk_member_sync").getCount()).isEqualTo(1);
    assertThat(c.chunk(3).registry().counter("basalt_chunk_recovery_completed").getCount()).isEqualTo(1);
    assertThat(c.chunk(3).registry().meter("basalt_chunk_recovery_bytes").getCount()).isPositive();
    assertThat(c.chunk(3).recoveries().active()).isZero();
    assertThat(c.chunk(3).store().replica(PID).orElseThrow().recoveryEpoch()).isEqualTo(recoveryEpoch);
    // The promoted member is a full one: the next write needs its ack, at the promoted epoch.
    assertThat(c.client.write(c.address(0), PID, 0, random(99, B), false).join()).isPositive();
    c.assertReplicasIdentical(PID);
  }

  private CompletableFuture<Long> nextWrite(Random rnd, int i, long size) {
    long offset = rnd.nextInt((int) (size - 3 * B));
    return switch (i % 6) {
      case 0 -> c.client.zeroes(c.address(0), PID, offset, 3 * B + 100, WriteKind.WRITE_ZEROES);
      case 1 -> c.client.zeroes(c.address(0), PID, offset / B * B, 2 * B, WriteKind.TRIM);
      case 2 -> c.client.write(c.address(0), PID, offset, random(1000 + i, 700), false);
      default -> c.client.write(c.address(0), PID, offset / B * B, random(1000 + i, 2 * B), false);
    };
  }

  /** The owner reports a peer that stopped answering; meta removes it and the waiting write completes. */
  @Test
  void replicaFailedRemovesTheDeadPeerAndCompletesTheWaitingWrite() {
    c = new TestCluster(dir, 3, cfg -> cfg.withReplicateTimeout(Duration.ofMillis(500)));
    c.meta.refuseReplicaFailed(false);
    c.createExtent(PID);
    c.client.write(c.address(0), PID, 0, random(1, B), false).join();
    int dead = c.chunk(2).cid();
    c.stop(2);

    long gen = c.client.write(c.address(0), PID, B, random(2, B), false).join();

    assertThat(gen).isEqualTo(2);
    assertThat(c.meta.extent(PID).replicas()).doesNotContain(dead);
    assertThat(c.meta.replicaFailedReports()).contains(dead);
    assertThat(c.chunk(0).registry().counter("basalt_chunk_replica_failed_reported").getCount()).isPositive();
    assertThat(c.chunk(0).ownedExtents()).as("still the owner, at the new epoch").isEqualTo(1);
    c.assertReplicasIdentical(PID, 0, 1);
  }

  /** A refused report leaves the write waiting and is re-reported; the write completes once meta accepts. */
  @Test
  void refusedReplicaFailedKeepsRetrying() {
    c = new TestCluster(dir, 3, cfg -> cfg.withReplicateTimeout(Duration.ofMillis(300)));
    c.createExtent(PID);
    c.client.write(c.address(0), PID, 0, random(1, B), false).join();
    c.meta.refuseReplicaFailed(true);
    int dead = c.chunk(2).cid();
    c.stop(2);

    CompletableFuture<Long> w = c.client.write(c.address(0), PID, B, random(2, B), false);
    await().atMost(Duration.ofSeconds(20)).until(() -> c.meta.replicaFailedReports().size() >= 2);
    assertThat(w).isNotDone();
    assertThat(c.meta.extent(PID).replicas()).contains(dead);

    c.meta.refuseReplicaFailed(false);
    assertThat(w.join()).isEqualTo(2);
    assertThat(c.meta.extent(PID).replicas()).doesNotContain(dead);
  }

  /**
   * A chunk named recovering_cid admits the owner's replicates: its foreign replica is wiped, the first replicate
   * sets the base gen, later ones are consecutive, copied blocks never overwrite a forwarded write's, and a restart
   * leaves the unfinished copy STALE.
   */
  @Test
  void recoveringReplicaAdmitsBaseGenAndSkipsDirtyBlocks() {
    c = new TestCluster(dir, 2);
    c.meta.listRecoveryTasks(false); // the replicates below play the owner; no copy task
    int owner = c.chunk(0).cid();
    int target = c.chunk(1).cid();
    c.meta.createExtent(PID, List.of(owner), MIB);
    applyDirect(1, PID, 1, 5L * B, random(50, B)); // a foreign copy left on the target: an unfinished one, so
    c.chunk(1).store().putReplicaMeta(ReplicaMeta.recovering(PID, 1, 99)); // no catch-up base
    c.meta.grantLease(PID, owner);
    long recoveryEpoch = c.meta.setRecovering(PID, target);

    assertThat(replicate(recoveryEpoch, owner, 7, 2L * B, random(7, B)).join()).isEqualTo(7);
    ReplicaMeta m = c.chunk(1).store().replica(PID).orElseThrow();
    assertThat(m.state()).isEqualTo(ReplicaState.RECOVERING);
    assertThat(m.gen()).isEqualTo(7);
    assertThat(m.recoveryEpoch()).isEqualTo(recoveryEpoch);
    assertThat(read(1, 5L * B, B)).as("foreign data wiped").isEqualTo(new byte[B]);

    BasaltException gap = ChunkTestClient.failure(replicate(recoveryEpoch, owner, 9, 0, random(9, B)));
    assertThat(gap.code()).isEqualTo(ErrorCode.GENERATION_GAP);
    assertThat(replicate(recoveryEpoch, owner, 8, 3L * B + 10, random(8, 100)).join()).isEqualTo(8);
    assertThat(c.chunk(1).recoveringReplicas().isDirty(PID, 3)).isTrue();
    assertThat(c.chunk(1).recoveringReplicas().isDirty(PID, 4)).isFalse();

    byte[] copied = random(60, 3 * B); // the owner's (older) blocks 2, 3, 4
    ByteBuf data = Unpooled.wrappedBuffer(copied);
    try {
      assertThat(c.chunk(1).recoveringReplicas().applyCopy(PID, recoveryEpoch, new long[] {2, 3, 4}, data))
          .isEqualTo(1);
    } finally {
      data.release();
    }
    assertThat(read(1, 2L * B, B)).isEqualTo(random(7, B));
    assertThat(read(1, 4L * B, B)).isEqualTo(Arrays.copyOfRange(copied, 2 * B, 3 * B));
    assertThat(c.chunk(1).store().replica(PID).orElseThrow().gen()).isEqualTo(8);

    c.stop(1);
    c.restart(1);
    ReplicaMeta stale = c.chunk(1).store().replica(PID).orElseThrow();
    assertThat(stale.state()).isEqualTo(ReplicaState.STALE);
    assertThat(stale.gen()).as("an unfinished copy holds no gen: never a catch-up base").isZero();
    assertThat(stale.catchUpBase()).isFalse();
  }

  /**
   * F03 on one extent: a member stops, meta removes it, the owner writes on (new blocks, rewrites, a trim); the member
   * restarts and meta makes it the recovery target. Its copy is kept and caught up with the changed blocks only, and
   * all three replicas end identical.
   */
  @Test
  void returningCopyIsCaughtUpWithTheChangedBlocksOnly() {
    c = new TestCluster(dir, 3, cfg -> cfg.withReplicateTimeout(Duration.ofMillis(500)));
    c.meta.sendRefresh(true);
    c.meta.refuseReplicaFailed(false);
    long size = 4 * MIB;
    c.meta.createExtent(PID, c.cids(), size);
    for (int i = 0; i < 64; i++) {
      c.client.write(c.address(0), PID, i * 16L * B, random(i, 4 * B), false).join(); // 1 MiB in all
    }
    int returning = c.chunk(2).cid();
    c.stop(2);
    c.client.write(c.address(0), PID, 3L * B, random(200, 2 * B), false).join(); // a new block and a rewrite
    c.client.write(c.address(0), PID, 16L * B + 100, random(201, 300), false).join(); // partial rewrite
    c.client.zeroes(c.address(0), PID, 32L * B, 4 * B, WriteKind.TRIM).join(); // blocks the copy holds go
    assertThat(c.meta.extent(PID).replicas()).as("removed by the owner's ReplicaFailed").doesNotContain(returning);
    c.restart(2);
    long recoveryEpoch = c.meta.setRecovering(PID, returning);

    await().atMost(Duration.ofSeconds(30)).until(() -> c.meta.extent(PID).replicas().contains(returning));
    c.assertReplicasIdentical(PID);
    assertThat(read(2, 32L * B, B)).as("trimmed while away").isEqualTo(new byte[B]);
    long copied = c.chunk(2).registry().meter("basalt_chunk_recovery_bytes").getCount();
    assertThat(copied).as("only the changed blocks: 3, 4, 16, (32-35 are trimmed)").isEqualTo(3L * B);
    assertThat(c.chunk(2).registry().counter("basalt_chunk_recovery_catch_ups").getCount()).isEqualTo(1);
    assertThat(c.chunk(2).store().replica(PID).orElseThrow().recoveryEpoch()).isEqualTo(recoveryEpoch);
    assertThat(c.client.write(c.address(0), PID, 0, random(99, B), false).join()).isPositive();
    c.assertReplicasIdentical(PID);
  }

  /**
   * F21 meets F03: the returning copy holds a gen the owner's history does not (an old owner's unreplicated write, at
   * an epoch of its own). The owner refuses the copy's own gen as base; the copy falls back to its lower base, which
   * includes its own later changes, so the stray block is replaced by the owner's content (zeros) and the replicas
   * end identical, still without a full copy.
   */
  @Test
  void returningCopyWithAnotherHistoryIsCaughtUpFromALowerBase() {
    c = new TestCluster(dir, 3, cfg -> cfg.withReplicateTimeout(Duration.ofMillis(500)));
    c.meta.sendRefresh(true);
    c.meta.refuseReplicaFailed(false);
    c.meta.createExtent(PID, c.cids(), 4 * MIB);
    for (int i = 0; i < 32; i++) {
      c.client.write(c.address(0), PID, i * 16L * B, random(i, 4 * B), false).join(); // 512 KiB in all
    }
    int returning = c.chunk(2).cid();
    ReplicaMeta before = c.chunk(2).store().replica(PID).orElseThrow();
    ByteBuf stray = Unpooled.wrappedBuffer(random(300, B));
    try { // gen + 1 written only there, by another owner (another gen epoch than the owner's gen + 1 will have)
      c.chunk(2).store().apply(new ExtentEpoch(PID, before.epoch()), new Mutation(before.gen() + 1,
          before.epoch() - 1, 900L * B, B, WriteKind.WRITE, stray), false);
    } finally {
      stray.release();
    }
    c.stop(2);
    c.client.write(c.address(0), PID, 3L * B, random(200, 2 * B), false).join(); // the owner's gen + 1, epoch + 1
    c.restart(2);
    c.meta.setRecovering(PID, returning);

    await().atMost(Duration.ofSeconds(30)).until(() -> c.meta.extent(PID).replicas().contains(returning));
    c.assertReplicasIdentical(PID);
    assertThat(read(2, 900L * B, B)).as("the stray write is gone").isEqualTo(new byte[B]);
    long copied = c.chunk(2).registry().meter("basalt_chunk_recovery_bytes").getCount();
    assertThat(copied).as("the lower base's changes, far below the 512 KiB held").isPositive()
        .isLessThan(512L * 1024 / 2);
  }

  /** A running copy stops once meta no longer lists it (the target was dropped). */
  @Test
  void taskIsCancelledWhenMetaDropsTheTarget() {
    c = new TestCluster(dir, 3);
    long size = 16 * MIB;
    c.meta.createExtent(PID, c.cids().subList(0, 2), size);
    for (int i = 0; i < 16; i++) c.client.write(c.address(0), PID, i * MIB, random(i, B), false).join();
    c.chunk(2).failpoints().set("chunk.recovery.copy-batch", "delay(100)");
    c.meta.setRecovering(PID, c.chunk(2).cid());
    await().atMost(Duration.ofSeconds(20)).until(() -> c.meta.progress().stream()
        .anyMatch(p -> p.getPid() == PID && p.getBytesDone() > 0));
    assertThat(c.chunk(2).recoveries().active()).isEqualTo(1);

    c.meta.setRecovering(PID, 0);

    await().atMost(Duration.ofSeconds(20)).until(() -> c.chunk(2).recoveries().active() == 0);
    assertThat(c.chunk(2).registry().counter("basalt_chunk_recovery_failed").getCount()).isEqualTo(1);
    assertThat(c.chunk(2).registry().counter("basalt_chunk_recovery_completed").getCount()).isZero();
    assertThat(c.meta.extent(PID).replicas()).doesNotContain(c.chunk(2).cid());
  }

  /**
   * FetchBlocks: the owner adopts the recovery inline and serves the present blocks; any other asker is NOT_READY;
   * a member that does not own the extent takes the lease first.
   */
  @Test
  void fetchBlocksServesOnlyTheRecoveringPeer() {
    c = new TestCluster(dir, 3);
    c.meta.listRecoveryTasks(false);
    c.meta.createExtent(PID, c.cids().subList(0, 2), MIB);
    byte[] a = random(1, B);
    byte[] b = random(2, 2 * B);
    c.client.write(c.address(1), PID, B, a, false).join();
    c.client.write(c.address(1), PID, 10L * B, b, false).join();
    int target = c.chunk(2).cid();
    long recoveryEpoch = c.meta.setRecovering(PID, target);

    Frame f = fetch(1, target, recoveryEpoch, 0, 64 * B).join();
    try {
      FetchBlocksResponse r = f.header().getFetchBlocksResponse();
      assertThat(r.getBlocksList()).containsExactly(1L, 10L, 11L);
      assertThat(r.getNextOffset()).isEqualTo(64L * B);
      assertThat(r.getDone()).isFalse();
      assertThat(r.getOwnerCid()).isEqualTo(c.chunk(1).cid());
      assertThat(r.getEpoch()).isEqualTo(recoveryEpoch);
      byte[] expected = new byte[3 * B];
      System.arraycopy(a, 0, expected, 0, B);
      System.arraycopy(b, 0, expected, B, 2 * B);
      assertThat(ByteBufUtil.getBytes(f.data())).isEqualTo(expected);
    } finally {
      f.release();
    }
    BasaltException other = ChunkTestClient.failure(fetch(1, c.chunk(0).cid(), recoveryEpoch, 0, B)
        .thenApply(x -> { x.release(); return x; }));
    assertThat(other.code()).isEqualTo(ErrorCode.NOT_READY);
    assertThat(other.retryable()).isTrue();

    c.meta.releaseLease(PID);
    Frame last = fetch(0, target, recoveryEpoch, MIB - 4 * B, 64 * B).join();
    try {
      assertThat(last.header().getFetchBlocksResponse().getDone()).isTrue();
      assertThat(last.header().getFetchBlocksResponse().getNextOffset()).isEqualTo(MIB);
      assertThat(last.header().getFetchBlocksResponse().getOwnerCid()).isEqualTo(c.chunk(0).cid());
    } finally {
      last.release();
    }
    assertThat(c.chunk(0).ownedExtents()).as("the member took the lease to serve the copy").isEqualTo(1);
  }

  /** gc_pids deletes a STALE replica, and only a STALE one. */
  /** FetchBlocks tells the target whether the source serves client I/O, so the copy yields to clients there too. */
  @Test
  void fetchBlocksSaysWhetherTheSourceIsServingClients() throws Exception {
    c = new TestCluster(dir, 3);
    c.meta.listRecoveryTasks(false);
    c.meta.createExtent(PID, c.cids().subList(0, 2), MIB);
    c.meta.createExtent(PID + 1, c.cids().subList(0, 2), MIB);
    c.client.write(c.address(1), PID, 0, random(1, B), false).join();
    int target = c.chunk(2).cid();
    long recoveryEpoch = c.meta.setRecovering(PID, target);

    AtomicBoolean writing = new AtomicBoolean(true);
    Thread writer = new Thread(() -> {
      while (writing.get()) c.client.write(c.address(1), PID + 1, 0, random(2, B), false).join();
    }, "client-writer");
    writer.start();
    try {
      await().atMost(Duration.ofSeconds(20)).until(() -> sourceBusy(target, recoveryEpoch));
    } finally {
      writing.set(false);
      writer.join();
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> !sourceBusy(target, recoveryEpoch));
  }

  private boolean sourceBusy(int target, long recoveryEpoch) {
    Frame f = fetch(1, target, recoveryEpoch, 0, B).join();
    try {
      return f.header().getFetchBlocksResponse().getSourceBusy();
    } finally {
      f.release();
    }
  }

  @Test
  void gcPidsDeleteStaleReplicas() {
    c = new TestCluster(dir, 1, cfg -> cfg.withIntervals(Duration.ofMillis(200), Duration.ofMillis(200)));
    applyDirect(0, PID, 1, 0, random(1, B));
    applyDirect(0, PID + 1, 1, 0, random(2, B));
    ReplicaMeta m = c.chunk(0).store().replica(PID).orElseThrow();
    c.chunk(0).store().putReplicaMeta(m.withState(ReplicaState.STALE));
    c.meta.createExtent(PID, List.of(99), MIB);
    c.meta.createExtent(PID + 1, List.of(c.chunk(0).cid()), MIB);
    c.meta.gc(PID);
    c.meta.gc(PID + 1);

    // The counter moves after the delete: wait for it, then the delete is visible too.
    await().atMost(Duration.ofSeconds(20))
        .until(() -> c.chunk(0).registry().counter("basalt_chunk_replicas_gc").getCount() >= 1);
    assertThat(c.chunk(0).store().replica(PID)).as("the STALE replica is gone").isEmpty();
    assertThat(c.chunk(0).registry().counter("basalt_chunk_replicas_gc").getCount()).isEqualTo(1);
    assertThat(c.chunk(0).store().replica(PID + 1)).as("an ACTIVE replica is kept").isPresent();
  }

  private CompletableFuture<Frame> fetch(int chunk, int target, long recoveryEpoch, long offset,
      int maxBytes) {
    return c.client.call(c.address(chunk), Envelope.newBuilder().setFetchBlocks(
        FetchBlocksRequest.newBuilder().setPid(PID).setTargetCid(target)
            .setRecoveryEpoch(recoveryEpoch).setOffset(offset).setMaxBytes(maxBytes)), null);
  }

  private CompletableFuture<Long> replicate(long epoch, int owner, long gen, long offset, byte[] data) {
    ReplicateRequest r = ReplicateRequest.newBuilder().setPid(PID).setEpoch(epoch).setGen(gen).setOffset(offset)
        .setLength(data.length).setKind(WriteKind.WRITE).setOwnerCid(owner).build();
    return c.client.replicate(c.address(1), r, data);
  }

  private void applyDirect(int chunk, long pid, long gen, long offset, byte[] data) {
    ByteBuf buf = Unpooled.wrappedBuffer(data);
    try {
      c.chunk(chunk).store().apply(new ExtentEpoch(pid, 1),
          new Mutation(gen, 1, offset, data.length, WriteKind.WRITE, buf), false);
    } finally {
      buf.release();
    }
  }

  private byte[] read(int chunk, long offset, int length) {
    ByteBuf b = c.chunk(chunk).store().read(PID, offset, length, PooledByteBufAllocator.DEFAULT);
    try {
      return ByteBufUtil.getBytes(b);
    } finally {
      b.release();
    }
  }
}
