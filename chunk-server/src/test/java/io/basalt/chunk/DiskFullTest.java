package io.basalt.chunk;

import static io.basalt.chunk.ReplicatedWriteTest.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.basalt.chunk.store.RocksReplicaStore;
import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A full disk (TESTPLAN F16; ENOSPC injected on the slot file write by {@code chunk.store.enospc}) is not a failed
 * store: a member that cannot persist a replicate answers NO_SPACE and is replaced (the owner reports it, and it
 * reports itself), the write acknowledged only without it; an owner that cannot persist its own write acknowledges nothing, gives the lease up and
 * reports its replica for replacement, and still served reads until then. Neither store is failed.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DiskFullTest extends ClusterTestBase {
  private static final long PID = 5;
  private static final String ENOSPC = "chunk.store.enospc";

  @BeforeEach
  void start() {
    startCluster(new TestCluster(dir, 3), PID, 8192);
    c.meta.refuseReplicaFailed(false);
  }

  @Test
  void aFullMemberIsReplacedAndTheWriteIsAcknowledgedWithoutIt() {
    int cid2 = c.chunk(2).cid();
    byte[] before = random(2, 8192);
    c.client.write(c.address(0), PID, 0, before, false).join();
    c.chunk(2).failpoints().set(ENOSPC, "on");
    AtomicReference<Boolean> memberAtAck = new AtomicReference<>();

    byte[] data = random(3, 4096);
    CompletableFuture<Long> write = c.client.write(c.address(0), PID, 0, data, false)
        .whenComplete((gen, e) -> memberAtAck.set(c.meta.extent(PID).replicas().contains(cid2)));
    long gen = write.join();

    assertThat(memberAtAck.get()).as("acknowledged only once the full member was out").isFalse();
    assertThat(c.meta.replicaFailedReports()).contains(cid2);
    // it also reports itself: its owner may be gone before it could report it
    await().atMost(Duration.ofSeconds(10)).until(() -> c.meta.quarantineReports().contains(PID + "/" + cid2));
    assertThat(c.chunk(2).store().failure()).as("a full disk is not a failed store").isEmpty();
    assertThat(((RocksReplicaStore) c.chunk(2).store()).diskSpace().noSpaceErrors()).isPositive();
    // what the full member held before stays intact
    assertThat(c.chunk(2).store().replica(PID).orElseThrow().gen()).isEqualTo(gen - 1);
    assertThat(c.client.read(c.address(0), PID, 0, 4096)).isEqualTo(data);
    assertThat(c.assertReplicasIdentical(PID, 0, 1).getGen()).isEqualTo(gen);
  }

  @Test
  void aFullOwnerAcknowledgesNothingGivesTheLeaseUpAndReportsItsReplica() {
    int cid0 = c.chunk(0).cid();
    byte[] before = random(5, 8192);
    long first = c.client.write(c.address(0), PID, 0, before, false).join();
    c.chunk(0).failpoints().set(ENOSPC, "on");
    byte[] data = random(4, 4096);

    BasaltException e = ChunkTestClient.failure(c.client.write(c.address(0), PID, 0, data, false));

    assertThat(e.code()).isEqualTo(ErrorCode.NOT_OWNER);
    assertThat(e.retryable()).as("the client retries at another member").isTrue();
    assertThat(e.getMessage()).contains("disk full");
    assertThat(c.chunk(0).store().failure()).isEmpty();
    await().atMost(Duration.ofSeconds(10)).until(() -> c.chunk(0).ownedExtents() == 0
        && c.meta.quarantineReports().contains(PID + "/" + cid0)
        && !c.meta.extent(PID).replicas().contains(cid0));
    // nothing of the refused write reached any replica
    for (int i = 0; i < 3; i++) {
      assertThat(c.chunk(i).store().replica(PID).orElseThrow().gen()).isEqualTo(first);
    }
    // while full it takes no lease (an owner must take writes); the retry at another member is acknowledged
    assertThat(ChunkTestClient.failure(c.client.write(c.address(0), PID, 0, data, false)).code())
        .isEqualTo(ErrorCode.NOT_OWNER);
    long gen = c.client.write(c.address(1), PID, 0, data, true).join();
    assertThat(c.client.read(c.address(1), PID, 0, 4096)).isEqualTo(data);
    assertThat(c.assertReplicasIdentical(PID, 1, 2).getGen()).isEqualTo(gen);
  }

  @Test
  void aFullOwnerStillServesReadsUntilAWriteFails() {
    byte[] data = random(6, 8192);
    c.client.write(c.address(0), PID, 0, data, false).join();
    c.chunk(0).failpoints().set(ENOSPC, "on");
    // the failpoint fires on the next data write; the read path never writes
    assertThat(c.client.read(c.address(0), PID, 0, 8192)).isEqualTo(data);
    assertThat(c.chunk(0).ownedExtents()).isEqualTo(1);
  }
}
