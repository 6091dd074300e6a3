package io.basalt.chunk;

import static io.basalt.chunk.ReplicatedWriteTest.random;
import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.proto.ErrorCode;
import io.basalt.proto.ReplicaStatusResponse;
import io.basalt.proto.ReplicateRequest;
import io.basalt.proto.WriteKind;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.StaleEpochException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The replica side of Replicate, driven directly: epoch fencing, duplicates and generation gaps. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReplicaProtocolTest extends ClusterTestBase {
  private static final long PID = 3;

  private long epoch;

  @BeforeEach
  void start() {
    startCluster(new TestCluster(dir, 3), PID, 4096);
    c.client.write(c.address(0), PID, 4096, random(2, 4096), false).join();
    epoch = c.meta.extent(PID).epoch();
  }

  @Test
  void staleEpochIsRejected() {
    BasaltException e = ChunkTestClient.failure(c.client.replicate(c.address(1), replicate(epoch - 1, 3), data()));

    assertThat(e).isInstanceOf(StaleEpochException.class);
    assertThat(((StaleEpochException) e).currentEpoch()).isEqualTo(epoch);
    assertThat(c.chunk(1).registry().counter("basalt_chunk_stale_epoch_rejections").getCount()).isEqualTo(1);
    assertThat(c.client.status(c.address(1), PID).getGen()).isEqualTo(2);
  }

  @Test
  void higherEpochIsAdoptedOnlyWhenMetaConfirms() {
    BasaltException e = ChunkTestClient.failure(c.client.replicate(c.address(1), replicate(epoch + 5, 3), data()));

    assertThat(e.code()).isEqualTo(ErrorCode.STALE_EPOCH);
    assertThat(((StaleEpochException) e).currentEpoch()).isEqualTo(epoch);
    ReplicaStatusResponse s = c.client.status(c.address(1), PID);
    assertThat(s.getEpoch()).isEqualTo(epoch);
    assertThat(s.getGen()).isEqualTo(2);
  }

  @Test
  void unknownReplicaFromANonOwnerIsRejected() {
    c.createExtent(PID + 1); // meta: epoch 1, no owner yet
    ReplicateRequest r = replicate(1, 1).toBuilder().setPid(PID + 1).setOwnerCid(c.chunk(2).cid()).build();

    BasaltException e = ChunkTestClient.failure(c.client.replicate(c.address(1), r, data()));

    assertThat(e.code()).isEqualTo(ErrorCode.NOT_OWNER);
    assertThat(c.client.status(c.address(1), PID + 1).getExists()).isFalse();
  }

  @Test
  void duplicateGenIsAckedWithoutReapplying() {
    ReplicaStatusResponse before = c.client.status(c.address(1), PID);

    long applied = c.client.replicate(c.address(1), replicate(epoch, 2), data()).join();

    assertThat(applied).isEqualTo(2);
    assertThat(c.client.status(c.address(1), PID)).isEqualTo(before);
    c.assertReplicasIdentical(PID);
  }

  @Test
  void duplicateGenWrittenAtAnOlderEpochThanTheReplicasIsRefusedAsStale() {
    ReplicaStatusResponse before = c.client.status(c.address(1), PID);
    ReplicateRequest older = replicate(epoch, 2).toBuilder().setGenEpoch(epoch - 1).build();

    BasaltException e = ChunkTestClient.failure(c.client.replicate(c.address(1), older, data()));

    assertThat(e).isInstanceOf(StaleEpochException.class);
    assertThat(e.getMessage()).contains("gen=2 written at epoch=" + (epoch - 1));
    assertThat(c.client.status(c.address(1), PID)).isEqualTo(before);
  }

  @Test
  void duplicateGenFromANewerHistoryIsRefusedAsDiverged() {
    // meta moves the lease to chunk 2 (epoch + 1), which then claims gen 2 as its own, written at the new epoch:
    // the replica holds gen 2 from the old epoch, so the two gen 2s need not be equal.
    c.meta.grantLease(PID, c.chunk(2).cid());
    ReplicateRequest r = replicate(epoch + 1, 2).toBuilder().setGenEpoch(epoch + 1).setOwnerCid(c.chunk(2).cid())
        .build();

    BasaltException e = ChunkTestClient.failure(c.client.replicate(c.address(1), r, data()));

    assertThat(e.code()).isEqualTo(ErrorCode.DIVERGED);
    assertThat(c.chunk(1).registry().counter("basalt_chunk_diverged_duplicates").getCount()).isEqualTo(1);
    assertThat(c.client.status(c.address(1), PID).getGen()).isEqualTo(2);
  }

  @Test
  void duplicateGenResentAtANewerEpochKeepsItsGenEpochAndIsAcked() {
    // the owner adopted a membership change (epoch + 1, same owner) and re-sends gen 2, created at the old epoch
    c.meta.grantLease(PID, c.chunk(0).cid());
    ReplicateRequest resent = replicate(epoch + 1, 2).toBuilder().setGenEpoch(epoch).build();

    assertThat(c.client.replicate(c.address(1), resent, data()).join()).isEqualTo(2);
    assertThat(c.client.status(c.address(1), PID).getEpoch()).isEqualTo(epoch + 1);
  }

  @Test
  void generationGapIsRejected() {
    BasaltException e = ChunkTestClient.failure(c.client.replicate(c.address(1), replicate(epoch, 4), data()));

    assertThat(e.code()).isEqualTo(ErrorCode.GENERATION_GAP);
    assertThat(e.getMessage()).contains("have gen=2 got gen=4");
    assertThat(c.chunk(1).registry().counter("basalt_chunk_generation_gaps").getCount()).isEqualTo(1);
    assertThat(c.client.status(c.address(1), PID).getGen()).isEqualTo(2);
  }

  @Test
  void nextGenIsApplied() {
    assertThat(c.client.replicate(c.address(1), replicate(epoch, 3), data()).join()).isEqualTo(3);
    assertThat(c.client.status(c.address(1), PID).getGen()).isEqualTo(3);
  }

  private ReplicateRequest replicate(long e, long gen) {
    return ReplicateRequest.newBuilder().setPid(PID).setEpoch(e).setGen(gen).setOffset(8192).setLength(4096)
        .setKind(WriteKind.WRITE).setOwnerCid(c.chunk(0).cid()).build();
  }

  private static byte[] data() {
    return random(99, 4096);
  }
}
