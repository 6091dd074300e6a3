package io.basalt.chunk.store;

import static io.basalt.chunk.store.ReplicaStore.BLOCK_SIZE;
import static io.basalt.chunk.store.StoreTestData.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.basalt.chunk.store.ReplicaStore.Mutation;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ReplicaState;
import io.basalt.proto.WriteKind;
import io.basalt.rpc.BasaltException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The store calls of a recovery copy, and the replica meta record with its recovery epoch. */
@Timeout(60)
class RecoveryStoreTest extends StoreTestBase {
  private static final int B = BLOCK_SIZE;

  @Test
  void readPresentBlocksReturnsOnlyStoredBlocksOfTheRange() {
    byte[] a = random(1, B);
    byte[] c = random(2, 2 * B);
    apply(1, 1, B, a);            // block 1
    apply(1, 2, 4L * B, c);       // blocks 4, 5
    apply(1, 3, 9L * B, random(3, B)); // block 9, outside the range asked
    apply(2, 1, B, random(4, B)); // another pid

    PresentBlocks pb = store.readPresentBlocks(1, 0, 8 * B, PooledByteBufAllocator.DEFAULT);
    try {
      assertThat(pb.blocks()).containsExactly(1, 4, 5);
      byte[] expected = new byte[3 * B];
      System.arraycopy(a, 0, expected, 0, B);
      System.arraycopy(c, 0, expected, B, 2 * B);
      assertThat(ByteBufUtil.getBytes(pb.data())).isEqualTo(expected);
    } finally {
      pb.data().release();
    }
    PresentBlocks none = store.readPresentBlocks(1, 16L * B, 4 * B, PooledByteBufAllocator.DEFAULT);
    assertThat(none.count()).isZero();
    none.data().release();
    assertThatThrownBy(() -> store.readPresentBlocks(1, 100, B, PooledByteBufAllocator.DEFAULT))
        .isInstanceOf(BasaltException.class).hasMessageContaining("block-aligned");
  }

  @Test
  void writeCopiedBlocksSkipsAndKeepsGenAndGenLog() {
    store.putReplicaMeta(ReplicaMeta.recovering(1, 5, 5));
    apply(1, 7, 2L * B, random(9, B)); // a forwarded write at gen 7 (block 2)
    long genBefore = store.replica(1).orElseThrow().gen();
    List<ByteRange> logBefore = store.changedSince(1, 0).orElseThrow();

    byte[] copied = random(10, 3 * B); // blocks 1, 2, 3
    ByteBuf data = Unpooled.wrappedBuffer(copied);
    int written;
    try {
      written = store.writeCopiedBlocks(1, new long[] {1, 2, 3}, data, index -> index == 2);
    } finally {
      data.release();
    }

    assertThat(written).isEqualTo(2);
    assertThat(readBytes(1, B, B)).isEqualTo(Arrays.copyOfRange(copied, 0, B));
    assertThat(readBytes(1, 2L * B, B)).isEqualTo(random(9, B)); // the skipped (dirty) block is the forwarded write's
    assertThat(readBytes(1, 3L * B, B)).isEqualTo(Arrays.copyOfRange(copied, 2 * B, 3 * B));
    ReplicaMeta m = store.replica(1).orElseThrow();
    assertThat(m.gen()).isEqualTo(genBefore);
    assertThat(m.state()).isEqualTo(ReplicaState.RECOVERING);
    assertThat(m.recoveryEpoch()).isEqualTo(5);
    assertThat(store.changedSince(1, 0).orElseThrow()).isEqualTo(logBefore);

    ByteBuf none = Unpooled.wrappedBuffer(new byte[B]);
    try {
      assertThatThrownBy(() -> store.writeCopiedBlocks(3, new long[] {0}, none, i -> false))
          .isInstanceOfSatisfying(BasaltException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NO_SUCH_EXTENT));
    } finally {
      none.release();
    }
  }

  @Test
  void writeCopiedRangesSetsPresentBlocksDeletesAbsentOnesAndSkipsDirtyOnes() {
    for (int b = 0; b < 8; b++) apply(1, b + 1, (long) b * B, random(20 + b, B)); // the kept copy: blocks 0-7
    store.putReplicaMeta(store.replica(1).orElseThrow().recoveringBase(1, 5));

    byte[] copied = random(30, 2 * B); // the owner's blocks 2 and 6; 1, 3, 5 read as zeros there
    ByteBuf data = Unpooled.wrappedBuffer(copied);
    int written;
    try {
      written = store.writeCopiedRanges(1, List.of(new ByteRange(B, 3L * B), new ByteRange(5L * B, 2L * B)),
          new long[] {2, 6}, data, index -> index == 5);
    } finally {
      data.release();
    }

    assertThat(written).as("blocks 1, 2, 3, 6; 5 is dirty").isEqualTo(4);
    assertThat(readBytes(1, 0, B)).as("outside the ranges").isEqualTo(random(20, B));
    assertThat(readBytes(1, B, B)).isEqualTo(new byte[B]);
    assertThat(readBytes(1, 2L * B, B)).isEqualTo(Arrays.copyOfRange(copied, 0, B));
    assertThat(readBytes(1, 3L * B, B)).isEqualTo(new byte[B]);
    assertThat(readBytes(1, 4L * B, B)).isEqualTo(random(24, B));
    assertThat(readBytes(1, 5L * B, B)).as("dirty: skipped").isEqualTo(random(25, B));
    assertThat(readBytes(1, 6L * B, B)).isEqualTo(Arrays.copyOfRange(copied, B, 2 * B));
    assertThat(store.replica(1).orElseThrow().gen()).as("the base's gen is set by the first forward").isZero();

    ByteBuf one = Unpooled.wrappedBuffer(new byte[B]);
    try {
      assertThatThrownBy(() -> store.writeCopiedRanges(1, List.of(new ByteRange(0, B)), new long[] {3}, one,
          i -> false)).isInstanceOf(BasaltException.class).hasMessageContaining("outside the covered ranges");
    } finally {
      one.release();
    }
  }

  @Test
  void recoveryEpochIsPersistedAndOldRecordsStayReadable() {
    ReplicaMeta m = new ReplicaMeta(4, 9, 3, ReplicaState.RECOVERING, 8);
    store.putReplicaMeta(m);
    assertThat(store.replica(4)).contains(m);
    apply(4, 4, 0, random(1, B));
    assertThat(store.replica(4).orElseThrow().recoveryEpoch()).as("apply keeps it").isEqualTo(8);

    byte[] v1 = new byte[ReplicaMetaCodec.SIZE_V1]; // a record written before recovery existed
    v1[0] = ReplicaMetaCodec.VERSION_1;
    BlockKeys.putLong(v1, 1, 6);
    BlockKeys.putLong(v1, 9, 11);
    v1[17] = (byte) ReplicaState.ACTIVE.getNumber();
    assertThat(ReplicaMetaCodec.decode(5, v1)).isEqualTo(new ReplicaMeta(5, 6, 11, ReplicaState.ACTIVE, 0));
    assertThat(ReplicaMetaCodec.decode(4, ReplicaMetaCodec.encode(m))).isEqualTo(m);
    assertThatThrownBy(() -> ReplicaMetaCodec.decode(5, Arrays.copyOf(v1, 20)))
        .isInstanceOf(BasaltException.class).hasMessageContaining("corrupt replica meta");
  }

  private void apply(long pid, long gen, long offset, byte[] data) {
    ByteBuf buf = Unpooled.wrappedBuffer(data);
    try {
      long epoch = store.replica(pid).map(ReplicaMeta::epoch).orElse(1L);
      store.apply(new ExtentEpoch(pid, epoch),
          new Mutation(gen, epoch, offset, data.length, WriteKind.WRITE, buf), false);
    } finally {
      buf.release();
    }
  }
}
