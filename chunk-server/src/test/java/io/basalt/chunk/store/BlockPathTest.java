package io.basalt.chunk.store;

import static io.basalt.chunk.store.ReplicaStore.BLOCK_SIZE;
import static io.basalt.chunk.store.StoreTestData.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.basalt.proto.ErrorCode;
import io.basalt.proto.ReplicaState;
import io.basalt.proto.WriteKind;
import io.basalt.rpc.BasaltException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.WriteBatch;

/**
 * The direct-buffer block paths: multiGet reads over several batches, copy-source iteration into the reply
 * buffer, direct puts of copied blocks, and the CRC checks on each of them.
 */
@Timeout(60)
class BlockPathTest {
  private static final int B = BLOCK_SIZE;
  private static final List<ByteBufAllocator> ALLOCATORS = List.of(PooledByteBufAllocator.DEFAULT,
      new UnpooledByteBufAllocator(false), Unpooled.buffer().alloc());

  @TempDir Path dir;
  private RocksReplicaStore store;

  @BeforeEach
  void open() {
    store = RocksReplicaStore.open(dir, RocksStoreConfig.defaults());
  }

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void readsSpanningSeveralMultiGetBatchesMatchTheModelWithHolesAndPartialEdges() {
    int blocks = 700; // > 2 batches of 256
    byte[] model = new byte[blocks * B];
    Random rnd = new Random(5);
    long gen = 1;
    for (int i = 0; i < 120; i++) { // scattered writes of 1..8 blocks, some unaligned
      int len = (1 + rnd.nextInt(8)) * B - (i % 3 == 0 ? 100 : 0);
      int off = rnd.nextInt(model.length - len);
      byte[] d = random(100 + i, len);
      System.arraycopy(d, 0, model, off, len);
      write(1, gen++, off, d);
    }
    int[][] ranges = {{0, blocks * B}, {17, 300 * B + 5}, {255 * B, 2 * B}, {256 * B - 1, 2}, {511 * B + 7, 190 * B},
        {B * 600, 1}, {3, B - 6}};
    for (ByteBufAllocator alloc : ALLOCATORS) {
      for (int[] r : ranges) {
        ByteBuf got = store.read(1, r[0], r[1], alloc);
        try {
          assertThat(ByteBufUtil.getBytes(got)).as("range %s", Arrays.toString(r))
              .isEqualTo(Arrays.copyOfRange(model, r[0], r[0] + r[1]));
        } finally {
          got.release();
        }
      }
    }
  }

  @Test
  void aCorruptBlockInALaterBatchFailsTheReadNamingIt() throws Exception {
    byte[] data = random(7, 400 * B);
    write(3, 1, 0, data);
    RocksHandles h = store.handles();
    byte[] value = h.db.get(h.blocks, BlockKeys.key(3, 300));
    value[4000] ^= 0x40; // data changed, CRC kept
    h.db.put(h.blocks, BlockKeys.key(3, 300), value);
    h.db.put(h.blocks, BlockKeys.key(3, 301), Arrays.copyOf(value, BlockValueCodec.VALUE_SIZE + 10)); // too long

    assertIoError(() -> release(store.read(3, 0, data.length, PooledByteBufAllocator.DEFAULT)),
        "crc mismatch pid=3 block=300");
    assertIoError(() -> release(store.read(3, 301L * B, 10, PooledByteBufAllocator.DEFAULT)),
        "crc mismatch pid=3 block=301");
    assertThat(store.crcErrors()).isEqualTo(2);
    // around them everything still reads
    assertThat(read(3, 0, 300 * B)).isEqualTo(Arrays.copyOf(data, 300 * B));
    assertThat(read(3, 302L * B, 98 * B)).isEqualTo(Arrays.copyOfRange(data, 302 * B, 400 * B));
  }

  @Test
  void loadReturnsTheVerifiedValueOrNullAndRefusesBadOnes() throws Exception {
    byte[] data = random(9, 2 * B);
    write(4, 1, 0, data);
    BlockReader reader = new BlockReader(store.handles(), new java.util.concurrent.atomic.LongAdder());
    byte[] v = reader.load(4, 1);
    assertThat(Arrays.copyOf(v, B)).isEqualTo(Arrays.copyOfRange(data, B, 2 * B));
    assertThat(BlockValueCodec.intact(v)).isTrue();
    assertThat(reader.load(4, 2)).isNull();

    RocksHandles h = store.handles();
    h.db.put(h.blocks, BlockKeys.key(4, 3), Arrays.copyOf(v, 5000)); // longer than a value
    assertIoError(() -> reader.load(4, 3), "crc mismatch pid=4 block=3");
    h.db.put(h.blocks, BlockKeys.key(4, 3), Arrays.copyOf(v, 10));
    assertIoError(() -> reader.load(4, 3), "crc mismatch pid=4 block=3");
    // RMW of a partial block reads through load and keeps the rest
    write(4, 2, B + 10, new byte[] {1, 2, 3});
    byte[] expected = Arrays.copyOfRange(data, B, 2 * B);
    expected[10] = 1;
    expected[11] = 2;
    expected[12] = 3;
    assertThat(read(4, B, B)).isEqualTo(expected);
  }

  @Test
  void presentBlocksOfAManyBlockRangeComeBackWholeAndCrcChecked() throws Exception {
    Random rnd = new Random(11);
    byte[] model = new byte[512 * B];
    long gen = 1;
    for (int i = 0; i < 512; i++) {
      if (rnd.nextInt(3) == 0) continue; // holes
      byte[] d = random(1000 + i, B);
      System.arraycopy(d, 0, model, i * B, B);
      write(5, gen++, (long) i * B, d);
    }
    for (ByteBufAllocator alloc : ALLOCATORS) {
      PresentBlocks pb = store.readPresentBlocks(5, 64L * B, 400 * B, alloc);
      try {
        assertThat(pb.data().readableBytes()).isEqualTo(pb.blocks().length * B);
        for (int k = 0; k < pb.blocks().length; k++) {
          int index = (int) pb.blocks()[k];
          assertThat(index).isBetween(64, 463);
          byte[] got = new byte[B];
          pb.data().getBytes(pb.data().readerIndex() + k * B, got);
          assertThat(got).as("block %d", index).isEqualTo(Arrays.copyOfRange(model, index * B, (index + 1) * B));
        }
        long expected = java.util.stream.IntStream.range(64, 464)
            .filter(i -> !Arrays.equals(Arrays.copyOfRange(model, i * B, (i + 1) * B), new byte[B])).count();
        assertThat(pb.blocks()).hasSize((int) expected);
      } finally {
        pb.data().release();
      }
    }

    int victim = 200;
    while (Arrays.equals(Arrays.copyOfRange(model, victim * B, (victim + 1) * B), new byte[B])) victim++;
    final int bad = victim;
    RocksHandles h = store.handles();
    byte[] value = h.db.get(h.blocks, BlockKeys.key(5, victim));
    value[0] ^= 1;
    h.db.put(h.blocks, BlockKeys.key(5, victim), value);
    long before = store.crcErrors();
    assertIoError(() -> store.readPresentBlocks(5, 0, 512 * B, PooledByteBufAllocator.DEFAULT).data().release(),
        "crc mismatch pid=5 block=" + bad);
    assertThat(store.crcErrors()).isEqualTo(before + 1);
  }

  @Test
  void copiedBlocksArePutWholeZeroBlocksDeletedAndSkippedOnesLeft() throws Exception {
    write(6, 1, 0, random(1, 4 * B)); // blocks 0..3 exist
    store.putReplicaMeta(new ReplicaMeta(6, 1, 1, ReplicaState.RECOVERING, 2));
    byte[] b0 = random(2, B);
    byte[] b2 = random(3, B);
    byte[] b9 = random(4, B);
    byte[] payload = concat(b0, new byte[B], b2, b9); // block 1 copied as zeros: deleted
    for (ByteBuf data : List.of(Unpooled.wrappedBuffer(payload),
        PooledByteBufAllocator.DEFAULT.directBuffer().writeBytes(payload))) {
      try {
        int written = store.writeCopiedBlocks(6, new long[] {0, 1, 2, 9}, data, i -> i == 2);
        assertThat(written).isEqualTo(3);
        assertThat(data.readableBytes()).as("input untouched").isEqualTo(4 * B);
      } finally {
        data.release();
      }
    }
    byte[] after = read(6, 0, 10 * B);
    assertThat(Arrays.copyOfRange(after, 0, B)).isEqualTo(b0);
    assertThat(Arrays.copyOfRange(after, B, 2 * B)).isEqualTo(new byte[B]);
    assertThat(Arrays.copyOfRange(after, 2 * B, 3 * B)).as("skipped: the applied write stays")
        .isEqualTo(Arrays.copyOfRange(random(1, 4 * B), 2 * B, 3 * B));
    assertThat(Arrays.copyOfRange(after, 9 * B, 10 * B)).isEqualTo(b9);
    RocksHandles h = store.handles();
    assertThat(h.db.get(h.blocks, BlockKeys.key(6, 1))).as("a zero block is not stored").isNull();
    assertThat(BlockValueCodec.intact(h.db.get(h.blocks, BlockKeys.key(6, 9)))).isTrue();
  }

  @Test
  void directPutsSealLikeTheArrayCodecAndZeroBlocksAreOnlyDeletedWhenTheyMayExist() throws Exception {
    RocksHandles h = store.handles();
    byte[] data = random(12, B);
    ByteBuf src = PooledByteBufAllocator.DEFAULT.directBuffer().writeZero(5).writeBytes(data).writeZero(B);
    try (WriteBatch batch = new WriteBatch()) {
      BlockValueCodec.putBlock(batch, h.blocks, 8, 1, src, 5, false);
      BlockValueCodec.putBlock(batch, h.blocks, 8, 2, src, 5 + B, false); // zeros, may not exist: nothing
      assertThat(batch.count()).isEqualTo(1);
      BlockValueCodec.putBlock(batch, h.blocks, 8, 3, src, 5 + B, true); // zeros that may exist: a delete
      assertThat(batch.count()).isEqualTo(2);
      h.db.write(h.asyncWrite, batch);
    } finally {
      src.release();
    }
    byte[] stored = h.db.get(h.blocks, BlockKeys.key(8, 1));
    byte[] sealed = BlockValueCodec.seal(Arrays.copyOf(data, BlockValueCodec.VALUE_SIZE));
    assertThat(stored).isEqualTo(sealed);
  }

  private static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) n += p.length;
    byte[] out = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  private void write(long pid, long gen, long offset, byte[] data) {
    ByteBuf buf = Unpooled.wrappedBuffer(data);
    try {
      store.apply(pid, 1, gen, offset, data.length, WriteKind.WRITE, buf, false);
    } finally {
      buf.release();
    }
  }

  private byte[] read(long pid, long offset, int length) {
    ByteBuf b = store.read(pid, offset, length, PooledByteBufAllocator.DEFAULT);
    try {
      return ByteBufUtil.getBytes(b);
    } finally {
      b.release();
    }
  }

  private static void release(ByteBuf b) {
    b.release();
  }

  private static void assertIoError(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String part) {
    assertThatThrownBy(call).isInstanceOf(BasaltException.class)
        .satisfies(e -> assertThat(((BasaltException) e).code()).isEqualTo(ErrorCode.IO_ERROR))
        .hasMessageContaining(part);
  }
}
