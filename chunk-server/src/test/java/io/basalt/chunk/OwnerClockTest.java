package io.basalt.chunk;

import static io.basalt.chunk.ReplicatedWriteTest.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.basalt.common.ManualClock;
import io.basalt.common.MonotonicClock;
import io.basalt.proto.ErrorCode;
import io.basalt.rpc.Frame;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Write deadlines on the chunk's injected clock (DESIGN.md "Write path" 5): chunk 1 runs on a {@link ManualClock},
 * so a write's deadline passes when the test moves that clock, not after a sleep.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OwnerClockTest extends ClusterTestBase {
  private static final long PID = 6;
  private static final String BEFORE_INSTALL = "chunk.owner.before-install";

  private final ManualClock clock = new ManualClock();

  @BeforeEach
  void start() {
    startCluster(new TestCluster(dir, 3, UnaryOperator.identity(), i -> i == 1 ? clock : MonotonicClock.SYSTEM), PID,
        8192);
  }

  /**
   * The write reaches chunk 1 with 5 s to live and waits behind its takeover; chunk 1's clock then moves 6 s (well
   * within its 9 s local lease). When the takeover ends, the write is refused (TIMEOUT), not applied; a write sent
   * afterwards, with its deadline ahead on that clock, goes through.
   */
  @Test
  void aWriteWhoseDeadlinePassedOnTheOwnersClockIsRefused() {
    c.meta.releaseLease(PID);
    long genBefore = c.client.status(c.address(1), PID).getGen();
    int cid1 = c.chunk(1).cid();
    c.chunk(1).failpoints().set(BEFORE_INSTALL, "hang");
    CompletableFuture<Frame> late = write(1, random(6, 4096), Duration.ofSeconds(5));
    // the lease was granted to chunk 1, so the write is at its owner (its deadline set) and held before the install
    await().atMost(Duration.ofSeconds(20)).until(() -> c.meta.reportedLeases(cid1).stream()
        .anyMatch(l -> l.getPid() == PID));

    clock.advance(Duration.ofSeconds(6));
    c.chunk(1).failpoints().set(BEFORE_INSTALL, "off");

    assertThat(ChunkTestClient.failure(late).code()).isEqualTo(ErrorCode.TIMEOUT);
    assertThat(c.chunk(1).registry().counter("basalt_chunk_write_late_attempts").getCount()).isEqualTo(1);
    assertThat(c.client.status(c.address(1), PID).getGen()).isEqualTo(genBefore);
    long gen = write(1, random(7, 4096), Duration.ofSeconds(5)).join().header().getWriteResponse().getGen();
    assertThat(gen).isEqualTo(genBefore + 1);
    c.assertReplicasIdentical(PID);
  }

  private CompletableFuture<Frame> write(int chunk, byte[] data, Duration deadline) {
    return c.client.rawWrite(c.address(chunk), PID, 0, data, deadline);
  }
}
