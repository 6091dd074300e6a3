package io.basalt.chunk.store;

import static io.basalt.chunk.store.ReplicaStore.BLOCK_SIZE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.basalt.chunk.store.ReplicaStore.Mutation;
import io.basalt.proto.WriteKind;
import io.basalt.rpc.StaleEpochException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ReplicaStore#applyAll} (the group commit) applies a batch exactly as the same writes applied one by one:
 * partial blocks read-modify-write against the batch's own earlier writes, zero ranges (also the range-tombstone
 * size) hide what the batch wrote before them, and the replica record and gen log end where sequential applies end.
 */
@Timeout(120)
class GroupCommitStoreTest {
  private static final long PID = 7;
  private static final int SPAN = 160 * BLOCK_SIZE; // above the range-tombstone threshold of 64 blocks

  @TempDir Path dir;
  private RocksReplicaStore batched;
  private RocksReplicaStore single;

  @BeforeEach
  void open() {
    batched = RocksReplicaStore.open(dir.resolve("batched"), RocksStoreConfig.defaults());
    single = RocksReplicaStore.open(dir.resolve("single"), RocksStoreConfig.defaults());
  }

  @AfterEach
  void close() {
    batched.close();
    single.close();
  }

  @Test
  void aBatchEndsWhereTheSameWritesAppliedOneByOneEnd() {
    Random rnd = new Random(42);
    byte[] model = new byte[SPAN];
    long gen = 0;
    for (int round = 0; round < 60; round++) {
      int n = 1 + rnd.nextInt(12);
      List<Mutation> writes = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        gen++;
        writes.add(randomMutation(rnd, gen, model));
      }
      batched.applyAll(new ExtentEpoch(PID, 3), writes, false);
      for (Mutation w : writes) {
        single.apply(new ExtentEpoch(PID, 3), w, false);
      }
      assertThat(batched.replica(PID).orElseThrow().gen()).isEqualTo(gen);
    }
    assertThat(read(batched)).isEqualTo(model);
    assertThat(batched.digest(PID)).isEqualTo(single.digest(PID));
    assertThat(batched.replica(PID)).isEqualTo(single.replica(PID));
    assertThat(batched.changedSince(PID, gen - 20)).isEqualTo(single.changedSince(PID, gen - 20));
    for (long g = gen - 20; g <= gen; g++) {
      assertThat(batched.genEpoch(PID, g)).isEqualTo(3);
    }
  }

  @Test
  void aFencedBatchAppliesNothing() {
    batched.apply(new ExtentEpoch(PID, 5),
        new Mutation(1, 5, 0, BLOCK_SIZE, WriteKind.WRITE, Unpooled.wrappedBuffer(filled(BLOCK_SIZE, 1))), false);
    List<Mutation> writes = List.of(
        new Mutation(2, 4, 0, BLOCK_SIZE, WriteKind.WRITE, Unpooled.wrappedBuffer(filled(BLOCK_SIZE, 2))),
        new Mutation(3, 4, BLOCK_SIZE, 10, WriteKind.WRITE, Unpooled.wrappedBuffer(filled(10, 3))));
    assertThatThrownBy(() -> batched.applyAll(new ExtentEpoch(PID, 4), writes, false))
        .isInstanceOf(StaleEpochException.class);
    assertThat(batched.replica(PID).orElseThrow().gen()).isEqualTo(1);
    ByteBuf b = batched.read(PID, 0, 2 * BLOCK_SIZE, PooledByteBufAllocator.DEFAULT);
    try {
      assertThat(b.getByte(0)).isEqualTo((byte) 1);
      assertThat(b.getByte(BLOCK_SIZE)).isEqualTo((byte) 0);
    } finally {
      b.release();
    }
  }

  @Test
  void theCachedReplicaRecordFollowsEveryChange() {
    batched.apply(new ExtentEpoch(PID, 2),
        new Mutation(1, 2, 0, 100, WriteKind.WRITE, Unpooled.wrappedBuffer(filled(100, 9))), false);
    assertThat(batched.replica(PID).orElseThrow().gen()).isEqualTo(1);
    batched.putReplicaMeta(batched.replica(PID).orElseThrow().withEpoch(6));
    assertThat(batched.replica(PID).orElseThrow().epoch()).isEqualTo(6);
    batched.deleteReplica(PID);
    assertThat(batched.replica(PID)).isEmpty();
    assertThat(batched.replicas()).isEmpty();
  }

  private static Mutation randomMutation(Random rnd, long gen, byte[] model) {
    int kind = rnd.nextInt(10);
    int offset = rnd.nextInt(SPAN - 1);
    int length;
    if (kind < 7) {
      length = 1 + rnd.nextInt(Math.min(3 * BLOCK_SIZE, SPAN - offset));
      byte[] data = new byte[length];
      rnd.nextBytes(data);
      if (rnd.nextInt(4) == 0) Arrays.fill(data, (byte) 0); // all-zero data deletes blocks
      System.arraycopy(data, 0, model, offset, length);
      return new Mutation(gen, 3, offset, length, WriteKind.WRITE, Unpooled.wrappedBuffer(data));
    }
    length = 1 + rnd.nextInt(Math.min(100 * BLOCK_SIZE, SPAN - offset));
    Arrays.fill(model, offset, offset + length, (byte) 0);
    return new Mutation(gen, 3, offset, length, kind < 9 ? WriteKind.WRITE_ZEROES : WriteKind.TRIM,
        null);
  }

  private static byte[] read(RocksReplicaStore store) {
    ByteBuf b = store.read(PID, 0, SPAN, PooledByteBufAllocator.DEFAULT);
    try {
      byte[] out = new byte[SPAN];
      b.getBytes(0, out);
      return out;
    } finally {
      b.release();
    }
  }

  private static byte[] filled(int n, int value) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) value);
    return b;
  }
}
