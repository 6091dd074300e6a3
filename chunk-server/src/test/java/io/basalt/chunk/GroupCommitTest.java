package io.basalt.chunk;

import static io.basalt.chunk.ReplicatedWriteTest.random;
import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.Histogram;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Group commit end to end (DESIGN.md "Write path" 2): writes that arrive while the owner is busy are applied
 * together (one local commit, one replicate batch per peer), each still gets its own consecutive gen, every write
 * is acknowledged, FUA ones too, and every replica ends identical.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GroupCommitTest extends ClusterTestBase {
  private static final long PID = 11;

  @BeforeEach
  void start() {
    startCluster(new TestCluster(dir, 3), PID, 4096);
  }

  @AfterEach
  void stop() {
    c.chunk(0).failpoints().set("chunk.owner.before-local-write", "off");
  }

  @Test
  void writesThatArriveDuringACommitAreCommittedTogetherWithConsecutiveGens() {
    // The first commit holds the owner's loop for a moment, so the writes sent meanwhile queue up behind it.
    c.chunk(0).failpoints().set("chunk.owner.before-local-write", "1*delay(300)");
    List<CompletableFuture<Long>> writes = new ArrayList<>();
    byte[][] data = new byte[40][];
    for (int i = 0; i < data.length; i++) {
      // overlapping partial writes too: a later write of one commit read-modify-writes an earlier one's block
      data[i] = random(100 + i, 3000);
      writes.add(c.client.write(c.address(0), PID, (long) i * 1500, data[i], i % 7 == 0));
    }
    List<Long> gens = new ArrayList<>();
    for (CompletableFuture<Long> w : writes) gens.add(w.orTimeout(30, TimeUnit.SECONDS).join());
    assertThat(gens).doesNotHaveDuplicates();
    assertThat(gens.stream().mapToLong(Long::longValue).max().orElseThrow()).isEqualTo(1 + data.length);

    Histogram batch = c.chunk(0).registry().histogram("basalt_chunk_commit_batch");
    assertThat(batch.getSnapshot().getMax()).isGreaterThan(1);
    // ... and replicated as batches (counted by the sender)
    assertThat(c.chunk(0).registry().histogram("basalt_chunk_replicate_batch_entries").getSnapshot().getMax())
        .isGreaterThan(1);

    byte[] expected = new byte[40 * 1500 + 1500];
    System.arraycopy(random(1, 4096), 0, expected, 0, 4096);
    for (int i = 0; i < data.length; i++) System.arraycopy(data[i], 0, expected, i * 1500, 3000);
    assertThat(c.client.read(c.address(0), PID, 0, expected.length)).isEqualTo(expected);
    assertThat(c.assertReplicasIdentical(PID).getGen()).isEqualTo(1 + data.length);
  }
}
