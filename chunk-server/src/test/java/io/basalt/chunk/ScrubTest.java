package io.basalt.chunk;

import static io.basalt.chunk.ReplicatedWriteTest.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.MutateReplicaRequest;
import io.basalt.proto.QuarantineReplicaRequest;
import io.basalt.proto.ReplicaMutation;
import io.basalt.proto.ReplicaScrub;
import io.basalt.proto.ReplicaState;
import io.basalt.proto.ScrubExtentRequest;
import io.basalt.proto.ScrubExtentResponse;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.Frame;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The chunk side of scrub (DESIGN.md "Consistency check", TESTPLAN F19): the owner compares every member's light
 * digest at ONE generation, also while writes go on; a block lost on one replica or written on one only (valid CRC,
 * the DeleteRange kind) shows as a different digest naming its range; a deep scrub finds a block whose data no
 * longer matches its CRC; and meta's QuarantineReplica takes that replica out.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ScrubTest extends ClusterTestBase {
  private static final long PID = 5;
  private static final int RANGE = 128 << 10; // the test extents are 1 MiB: 8 ranges

  @BeforeEach
  void start() {
    startCluster(new TestCluster(dir, 3, cfg -> cfg.withTestMode(true)), PID, 0);
    for (int i = 0; i < 8; i++) c.client.write(c.address(0), PID, (long) i * RANGE, random(i + 1, 8192), false).join();
  }

  @Test
  void equalReplicasGiveEqualDigestsAtOneGen() {
    ScrubExtentResponse r = scrub(false);
    assertThat(r.getReplicasList()).hasSize(3).allSatisfy(s -> {
      assertThat(s.getError()).isEmpty();
      assertThat(s.getGen()).isEqualTo(r.getGen());
      assertThat(s.getHash()).isEqualTo(r.getReplicas(0).getHash());
      assertThat(s.getBlockCount()).isEqualTo(16);
      assertThat(s.getRangeHashesList()).hasSize(8);
    });
    assertThat(r.getReplicas(0).getCid()).isEqualTo(c.chunk(0).cid());
  }

  @Test
  void aBlockWrittenOnOneReplicaOnlyOrLostOnOneIsFoundAndLocated() {
    mutate(2, 2 * RANGE, ReplicaMutation.WRITE_LOCAL, random(9, 4096)); // valid CRC, gen unchanged
    mutate(1, 0, ReplicaMutation.DROP_BLOCKS, null);                   // an acknowledged block lost

    ScrubExtentResponse r = scrub(false);

    ReplicaScrub owner = r.getReplicas(0);
    ReplicaScrub one = byCid(r, c.chunk(1).cid());
    ReplicaScrub two = byCid(r, c.chunk(2).cid());
    assertThat(List.of(owner.getGen(), one.getGen(), two.getGen())).containsOnly(r.getGen());
    assertThat(one.getHash()).isNotEqualTo(owner.getHash());
    assertThat(two.getHash()).isNotEqualTo(owner.getHash()).isNotEqualTo(one.getHash());
    assertThat(one.getBlockCount()).isEqualTo(15);
    assertThat(differingRanges(owner, one)).containsExactly(0);
    assertThat(differingRanges(owner, two)).containsExactly(2);
  }

  @Test
  void digestsStayAtOneGenWhileWritesGoOn() {
    List<CompletableFuture<Long>> writes = new ArrayList<>();
    for (int round = 0; round < 20; round++) {
      for (int i = 0; i < 20; i++) {
        writes.add(c.client.write(c.address(0), PID, (long) (i % 16) * 4096, random(100 + i, 4096), false));
      }
      ScrubExtentResponse r = scrub(false);
      for (ReplicaScrub s : r.getReplicasList()) {
        assertThat(s.getError()).as("round %d cid %d", round, s.getCid()).isEmpty();
        assertThat(s.getGenPassed()).isFalse();
        assertThat(s.getGen()).isEqualTo(r.getGen());
        assertThat(s.getHash()).as("round %d cid %d gen %d", round, s.getCid(), r.getGen())
            .isEqualTo(r.getReplicas(0).getHash());
      }
    }
    writes.forEach(CompletableFuture::join);
  }

  @Test
  void aDeepScrubFindsABlockWhoseDataNoLongerMatchesItsCrc() throws Exception {
    c.client.flush(c.address(0), PID).join();
    BlockDamage.flipBytes(dir.resolve("chunk1"), PID, 3L * RANGE / 4096); // block 96

    ScrubExtentResponse light = scrub(false);
    assertThat(byCid(light, c.chunk(1).cid()).getHash()).isEqualTo(light.getReplicas(0).getHash()); // CRCs agree
    ScrubExtentResponse deep = scrub(true);
    assertThat(byCid(deep, c.chunk(1).cid()).getCrcErrorsList()).containsExactly(96L);
    assertThat(byCid(deep, c.chunk(2).cid()).getCrcErrorsList()).isEmpty();
    assertThat(deep.getReplicas(0).getBytesRead()).isEqualTo(16L * 4096);
  }

  @Test
  void metasQuarantineReplicaTakesTheReplicaOut() {
    int cid2 = c.chunk(2).cid();
    c.meta.refuseReplicaFailed(false);
    Frame f = c.client.call(c.address(2), Envelope.newBuilder().setQuarantineReplica(QuarantineReplicaRequest
        .newBuilder().setPid(PID).setReason("scrub gen=16: minority hash").addBlocks(512)), null).join();
    assertThat(f.header().getQuarantineReplicaResponse().getQuarantined()).isTrue();
    f.release();
    assertThat(c.client.status(c.address(2), PID).getState()).isEqualTo(ReplicaState.QUARANTINED);
    await().atMost(Duration.ofSeconds(10)).until(() -> c.meta.quarantineReports().contains(PID + "/" + cid2));
    assertThat(c.chunk(2).quarantine().evidence().list()).singleElement()
        .satisfies(q -> assertThat(q.getBlocksList()).containsExactly(512L));
    // the owner's scrub no longer sees it once meta removed it (its next write refreshes the membership)
    c.client.write(c.address(0), PID, 0, random(50, 4096), false).join();
    await().atMost(Duration.ofSeconds(10)).until(() -> scrub(false).getReplicasList().stream()
        .noneMatch(s -> s.getCid() == cid2));
  }

  @Test
  void aChunkThatDoesNotOwnTheExtentRefusesAndTakesNoLease() {
    BasaltException e = ChunkTestClient.failure(c.client.call(c.address(1), Envelope.newBuilder()
        .setScrubExtent(ScrubExtentRequest.newBuilder().setPid(PID)), null));
    assertThat(e.code()).isEqualTo(ErrorCode.NOT_OWNER);
    assertThat(c.chunk(1).ownedExtents()).isZero();
  }

  private ScrubExtentResponse scrub(boolean deep) {
    Frame f = c.client.call(c.address(0), Envelope.newBuilder().setScrubExtent(ScrubExtentRequest.newBuilder()
        .setPid(PID).setDeep(deep).setRangeBytes(RANGE)), null).join();
    try {
      return f.header().getScrubExtentResponse();
    } finally {
      f.release();
    }
  }

  private void mutate(int chunk, long offset, ReplicaMutation kind, byte[] data) {
    c.client.call(c.address(chunk), Envelope.newBuilder().setMutateReplica(MutateReplicaRequest.newBuilder()
        .setPid(PID).setOffset(offset).setLength(4096).setMutation(kind)),
        data == null ? null : Unpooled.wrappedBuffer(data)).join().release();
  }

  private static ReplicaScrub byCid(ScrubExtentResponse r, int cid) {
    return r.getReplicasList().stream().filter(s -> s.getCid() == cid).findFirst().orElseThrow();
  }

  private static List<Integer> differingRanges(ReplicaScrub a, ReplicaScrub b) {
    List<Integer> out = new ArrayList<>();
    int n = Math.max(a.getRangeHashesCount(), b.getRangeHashesCount());
    for (int i = 0; i < n; i++) {
      String x = i < a.getRangeHashesCount() ? a.getRangeHashes(i) : "";
      String y = i < b.getRangeHashesCount() ? b.getRangeHashes(i) : "";
      if (!x.equals(y)) out.add(i);
    }
    return out;
  }
}
