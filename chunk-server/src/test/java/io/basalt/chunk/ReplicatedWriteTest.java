package io.basalt.chunk;

import static io.basalt.chunk.TestCluster.MIB;
import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.proto.ErrorCode;
import io.basalt.proto.ReplicaStatusResponse;
import io.basalt.proto.WriteKind;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.NotOwnerException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Owner write path over three real chunk servers and a fake meta. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReplicatedWriteTest extends ClusterTestBase {
  private static final long PID = 7;

  @BeforeEach
  void start() {
    startCluster(new TestCluster(dir, 3), PID, 0);
  }

  @Test
  void writeThroughOwnerIsOnEveryReplica() {
    byte[] data = random(1, 8192);
    long gen = c.client.write(c.address(0), PID, 4096, data, false).join();

    assertThat(gen).isEqualTo(1);
    ReplicaStatusResponse s = c.assertReplicasIdentical(PID);
    assertThat(s.getGen()).isEqualTo(1);
    assertThat(s.getBlockCount()).isEqualTo(2);
    assertThat(s.getEpoch()).isEqualTo(c.meta.extent(PID).epoch());
    assertThat(c.client.read(c.address(0), PID, 4096, data.length)).isEqualTo(data);
    assertThat(c.client.read(c.address(0), PID, 0, 4096)).isEqualTo(new byte[4096]);
    assertThat(c.chunk(0).registry().timer("basalt_chunk_replicate_latency").getCount()).isEqualTo(2);
  }

  @Test
  void nonOwnerAnswersNotOwnerNamingTheOwner() {
    c.client.write(c.address(0), PID, 0, random(2, 4096), false).join();

    BasaltException e = ChunkTestClient.failure(c.client.write(c.address(1), PID, 0, random(3, 4096), false));
    assertThat(e).isInstanceOf(NotOwnerException.class);
    assertThat(((NotOwnerException) e).ownerCid()).isEqualTo(c.chunk(0).cid());
    assertThat(((NotOwnerException) e).ownerAddress()).isEqualTo(c.address(0));
    BasaltException r = ChunkTestClient.failure(CompletableFuture.runAsync(() -> c.client.read(c.address(2), PID,
        0, 4096)));
    assertThat(r.code()).isEqualTo(ErrorCode.NOT_OWNER);
    c.assertReplicasIdentical(PID);
  }

  @Test
  void pipelinedWritesKeepReplicasEqual() {
    Random rnd = new Random(11);
    List<CompletableFuture<Long>> writes = new ArrayList<>();
    List<long[]> ranges = new ArrayList<>();
    List<byte[]> payloads = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      int len = 1 + rnd.nextInt(16 * 1024);
      long off = rnd.nextInt((int) MIB - len);
      byte[] data = random(rnd.nextLong(), len);
      ranges.add(new long[] {off, len});
      payloads.add(data);
      writes.add(c.client.write(c.address(0), PID, off, data, false));
    }
    TreeMap<Long, Integer> byGen = new TreeMap<>();
    for (int i = 0; i < writes.size(); i++) byGen.put(writes.get(i).join(), i);

    assertThat(byGen.keySet()).containsExactlyElementsOf(range(1, 200));
    byte[] model = new byte[(int) MIB];
    byGen.values().forEach(i -> System.arraycopy(payloads.get(i), 0, model, (int) ranges.get(i)[0],
        (int) ranges.get(i)[1]));
    assertThat(c.assertReplicasIdentical(PID).getGen()).isEqualTo(200);
    assertThat(c.client.read(c.address(0), PID, 0, (int) MIB)).isEqualTo(model);
  }

  @Test
  void partialUnalignedZeroesAndTrimReplicate() {
    byte[] model = new byte[64 * 1024];
    write(model, 100, random(4, 5000));
    write(model, 3 * 4096 + 7, random(5, 10));
    write(model, 20_000, random(6, 30_000));
    c.client.zeroes(c.address(0), PID, 8192 + 5, 4096, WriteKind.WRITE_ZEROES).join();
    zero(model, 8192 + 5, 4096);
    c.client.zeroes(c.address(0), PID, 24_576, 8192, WriteKind.TRIM).join();
    zero(model, 24_576, 8192);
    c.client.zeroes(c.address(0), PID, 40_001, 3, WriteKind.TRIM).join();
    zero(model, 40_001, 3);

    assertThat(c.assertReplicasIdentical(PID).getGen()).isEqualTo(6);
    assertThat(c.client.read(c.address(0), PID, 0, model.length)).isEqualTo(model);
  }

  @Test
  void fuaWriteAndFlushSucceed() {
    c.createExtent(PID + 1);
    assertThat(c.client.write(c.address(0), PID, 0, random(7, 4096), true).join()).isEqualTo(1);
    c.client.write(c.address(0), PID + 1, 0, random(8, 4096), false).join();

    c.client.flush(c.address(0), PID, PID + 1).join();
    c.client.flush(c.address(1), PID).join(); // not the owner: peers come from meta
    c.assertReplicasIdentical(PID);
    c.assertReplicasIdentical(PID + 1);
  }

  @Test
  void outOfRangeWriteIsInvalidArgument() {
    BasaltException e = ChunkTestClient.failure(c.client.write(c.address(0), PID, MIB - 100, random(9, 4096),
        false));
    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(c.client.write(c.address(0), PID, MIB - 4096, random(9, 4096), false).join()).isEqualTo(1);
  }

  @Test
  void newOwnerFencesTheOldOne() {
    c.client.write(c.address(0), PID, 0, random(10, 4096), false).join();
    long firstEpoch = c.meta.extent(PID).epoch();
    c.meta.releaseLease(PID);

    assertThat(c.client.write(c.address(1), PID, 4096, random(11, 4096), false).join()).isEqualTo(2);

    assertThat(c.meta.extent(PID).epoch()).isEqualTo(firstEpoch + 1);
    assertThat(c.assertReplicasIdentical(PID).getEpoch()).isEqualTo(firstEpoch + 1);
    BasaltException e = ChunkTestClient.failure(c.client.write(c.address(0), PID, 0, random(12, 4096), false));
    assertThat(((NotOwnerException) e).ownerCid()).isEqualTo(c.chunk(1).cid());
  }

  @Test
  void listReplicasOmitsHashes() {
    c.client.write(c.address(0), PID, 0, random(13, 4096), false).join();
    var list = c.client.list(c.address(2)).getReplicasList();
    assertThat(list).hasSize(1);
    assertThat(list.get(0).getPid()).isEqualTo(PID);
    assertThat(list.get(0).getGen()).isEqualTo(1);
    assertThat(list.get(0).getCid()).isEqualTo(c.chunk(2).cid());
    assertThat(list.get(0).getHash()).isEmpty();
    assertThat(c.client.status(c.address(2), PID + 99).getExists()).isFalse();
  }

  private void write(byte[] model, int offset, byte[] data) {
    c.client.write(c.address(0), PID, offset, data, false).join();
    System.arraycopy(data, 0, model, offset, data.length);
  }

  private static void zero(byte[] model, int offset, int length) {
    Arrays.fill(model, offset, offset + length, (byte) 0);
  }

  private static List<Long> range(long from, long to) {
    List<Long> out = new ArrayList<>();
    for (long i = from; i <= to; i++) out.add(i);
    return out;
  }

  static byte[] random(long seed, int length) {
    byte[] b = new byte[length];
    new Random(seed).nextBytes(b);
    return b;
  }
}
