package io.basalt.chunk;

import static io.basalt.chunk.ReplicatedWriteTest.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Reads at the owner see only what may be seen (DESIGN.md "Write path" 5, TESTPLAN I1): a block with a write applied
 * locally but not yet on every member is not served until that write is acknowledged, since the owner could die and
 * the next owner would not have it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OwnerReadTest extends ClusterTestBase {
  private static final long PID = 9;
  private static final String REPLICA_APPLY = "chunk.replica.before-apply";

  @BeforeEach
  void start() {
    startCluster(new TestCluster(dir, 3), PID, 8192);
  }

  @AfterEach
  void stop() {
    c.chunk(1).failpoints().set(REPLICA_APPLY, "off");
  }

  @Test
  void aBlockWithAWriteInFlightIsServedOnlyOnceTheWriteIsAcknowledged() {
    c.chunk(1).failpoints().set(REPLICA_APPLY, "hang");
    byte[] second = random(2, 4096);
    CompletableFuture<Long> write = c.client.write(c.address(0), PID, 0, second, false);
    await().atMost(Duration.ofSeconds(10)).until(() -> c.client.status(c.address(0), PID).getGen() == 2);
    assertThat(write).isNotDone();

    CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> c.client.read(c.address(0), PID, 0, 4096));
    CompletableFuture<byte[]> other = CompletableFuture.supplyAsync(() -> c.client.read(c.address(0), PID, 4096,
        4096));
    // the other block has nothing in flight: served at once
    assertThat(other.orTimeout(10, TimeUnit.SECONDS).join()).isEqualTo(slice(random(1, 8192), 4096, 4096));
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> !read.isDone());
    assertThat(c.chunk(0).registry().counter("basalt_chunk_read_held_for_writes").getCount()).isEqualTo(1);

    c.chunk(1).failpoints().set(REPLICA_APPLY, "off");
    assertThat(write.orTimeout(10, TimeUnit.SECONDS).join()).isEqualTo(2);
    assertThat(read.orTimeout(10, TimeUnit.SECONDS).join()).isEqualTo(second);
    c.assertReplicasIdentical(PID);
  }

  private static byte[] slice(byte[] b, int from, int length) {
    byte[] out = new byte[length];
    System.arraycopy(b, from, out, 0, length);
    return out;
  }
}
