package io.basalt.chunk;

import static io.basalt.chunk.ReplicatedWriteTest.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
 * A failed WAL sync fails the store (TESTPLAN F17, fsyncgate; DESIGN.md "Chunk storage"): never retried and assumed
 * safe. No FUA write or FLUSH is acknowledged while a member whose sync failed is still a member; the failed chunk
 * gives its leases up and reports its replicas for replacement, and the client's retry succeeds on the others.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StoreFailureTest extends ClusterTestBase {
  private static final long PID = 5;
  private static final String SYNC = "chunk.store.sync";

  @BeforeEach
  void start() {
    startCluster(new TestCluster(dir, 3), PID, 8192);
    c.meta.refuseReplicaFailed(false);
  }

  @Test
  void aMembersFailedSyncIsNeverAcknowledgedAndTheMemberLeaves() {
    int cid2 = c.chunk(2).cid();
    c.chunk(2).failpoints().set(SYNC, "error");
    AtomicReference<Boolean> memberAtAck = new AtomicReference<>();

    CompletableFuture<Long> fua = c.client.write(c.address(0), PID, 0, random(3, 4096), true)
        .whenComplete((gen, e) -> memberAtAck.set(c.meta.extent(PID).replicas().contains(cid2)));
    long gen = fua.join();

    assertThat(memberAtAck.get()).as("acknowledged only once the failed member was out").isFalse();
    assertThat(c.chunk(2).store().failure()).get().asString().contains("wal sync failed");
    await().atMost(Duration.ofSeconds(10)).until(() -> c.meta.quarantineReports().contains(PID + "/" + cid2));
    // the failed chunk serves no replicate any more; a FLUSH on the remaining members is acknowledged
    c.client.flush(c.address(0), PID).join();
    assertThat(c.assertReplicasIdentical(PID, 0, 1).getGen()).isEqualTo(gen);
  }

  @Test
  void anOwnersFailedSyncGivesTheLeaseUpAndTheClientRetriesElsewhere() {
    int cid0 = c.chunk(0).cid();
    c.chunk(0).failpoints().set(SYNC, "error");
    byte[] data = random(4, 4096);

    BasaltException e = ChunkTestClient.failure(c.client.write(c.address(0), PID, 0, data, true));

    assertThat(e.code()).isEqualTo(ErrorCode.NOT_OWNER);
    assertThat(e.retryable()).isTrue();
    await().atMost(Duration.ofSeconds(10)).until(() -> c.chunk(0).ownedExtents() == 0
        && !c.meta.extent(PID).replicas().contains(cid0));
    // no FLUSH through the failed chunk, no lease for it again
    assertThat(ChunkTestClient.failure(c.client.flush(c.address(0), PID)).code()).isEqualTo(ErrorCode.NOT_OWNER);
    assertThat(ChunkTestClient.failure(c.client.write(c.address(0), PID, 0, data, true)).code())
        .isEqualTo(ErrorCode.NOT_OWNER);
    // the retry at another member is acknowledged, synced there
    long gen = c.client.write(c.address(1), PID, 0, data, true).join();
    c.client.flush(c.address(1), PID).join();
    assertThat(c.client.read(c.address(1), PID, 0, 4096)).isEqualTo(data);
    assertThat(c.assertReplicasIdentical(PID, 1, 2).getGen()).isEqualTo(gen);
  }
}
