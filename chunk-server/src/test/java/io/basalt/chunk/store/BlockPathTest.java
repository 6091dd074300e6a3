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
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.IntStream;
import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The direct-buffer block paths: multiGet reads over several batches, copy-source iteration into the reply
 * buffer, direct puts of copied blocks, and the CRC checks on each of them.
 */
@Timeout(60)
class BlockPathTest extends StoreTestBase {
  private static final int B = BLOCK_SIZE;
  private static final List<ByteBufAllocator> ALLOCATORS = List.of(PooledByteBufAllocator.DEFAULT,
      new UnpooledByteBufAllocator(false), Unpooled.buffer().alloc());

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
    assertRangesRead(1, model, ranges);
  }

  @Test
  void aCorruptBlockInALaterBatchFailsTheReadNamingIt() throws Exception {
    byte[] data = random(7, 400 * B);
    write(3, 1, 0, data);
    RocksHandles h = store.handles();
    StoreTestData.flipDataBit(store, 3, 300, 4000); // data changed, CRC kept
    h.db.put(h.blocks, BlockKeys.key(3, 301), new byte[BlockRecord.SIZE + 10]); // not a record

    assertIoError(() -> release(store.read(3, 0, 301 * B, PooledByteBufAllocator.DEFAULT)),
        "crc mismatch pid=3 block=300");
    assertIoError(() -> release(store.read(3, 301L * B, 10, PooledByteBufAllocator.DEFAULT)),
        "corrupt block record pid=3 block=301");
    assertThat(store.crcErrors()).isEqualTo(2);
    // around them everything still reads
    assertThat(readBytes(3, 0, 300 * B)).isEqualTo(Arrays.copyOf(data, 300 * B));
    assertThat(readBytes(3, 302L * B, 98 * B)).isEqualTo(Arrays.copyOfRange(data, 302 * B, 400 * B));
  }

  @Test
  void aReadOverBlocksInAlternatingSlotsReadsTheMajoritySpanWholeAndMatchesTheModel() throws Exception {
    int blocks = 600; // > 2 batches of 256
    byte[] model = random(21, blocks * B);
    write(11, 1, 0, model);
    long gen = 2;
    for (int i = 1; i < blocks; i += 2) { // every odd block to the other slot: one run per block
      byte[] d = random(2000 + i, B);
      System.arraycopy(d, 0, model, i * B, B);
      write(11, gen++, (long) i * B, d);
    }
    for (int i = 10; i < blocks; i += 37) { // holes (a zero block is deleted) among them
      Arrays.fill(model, i * B, (i + 1) * B, (byte) 0);
      write(11, gen++, (long) i * B, new byte[B]);
    }
    BlockReader reader = new BlockReader(store.handles(), store.files(), new LongAdder(),
        new SlotFence());
    long[] recs = new long[256];
    reader.records(11, 256, 256, recs);
    assertThat(BlockReader.spanSlot(recs, 0, 256)).as("the batch is read as one span").isNotNegative();
    long before = store.files().reads();
    readBytes(11, 0, blocks * B);
    // one read per run would be ~580 (every block its own run); a span per batch plus the odd blocks' runs ~310
    assertThat(store.files().reads() - before).as("reads for 600 alternating blocks").isLessThan(400);

    int[][] ranges = {{0, blocks * B}, {17, 300 * B + 5}, {255 * B, 3 * B}, {B * 3 + 9, 200 * B}, {4 * B, 6 * B}};
    assertRangesRead(11, model, ranges);
    // a bad block in either slot's span is found and named
    assertThat(slotOf(11, 301)).isNotEqualTo(slotOf(11, 302));
    StoreTestData.flipDataBit(store, 11, 301, 77);
    assertIoError(() -> release(store.read(11, 256L * B, 256 * B, PooledByteBufAllocator.DEFAULT)),
        "crc mismatch pid=11 block=301");
    StoreTestData.flipDataBit(store, 11, 301, 77);
    StoreTestData.flipDataBit(store, 11, 302, 5);
    assertIoError(() -> release(store.read(11, 256L * B, 256 * B, PooledByteBufAllocator.DEFAULT)),
        "crc mismatch pid=11 block=302");
  }

  @Test
  void aCopySourceReadsBlocksInAlternatingSlotsAsOneSpanAndChecksEachCrc() throws Exception {
    int blocks = 600;
    byte[] model = random(31, blocks * B);
    write(12, 1, 0, model);
    long gen = 2;
    for (int i = 1; i < blocks; i += 2) { // every odd block to the other slot
      byte[] d = random(3000 + i, B);
      System.arraycopy(d, 0, model, i * B, B);
      write(12, gen++, (long) i * B, d);
    }
    for (int i = 10; i < blocks; i += 37) { // holes: present blocks come back packed around them
      Arrays.fill(model, i * B, (i + 1) * B, (byte) 0);
      write(12, gen++, (long) i * B, new byte[B]);
    }
    long before = store.files().reads();
    store.readPresentBlocks(12, 0, 600 * B, PooledByteBufAllocator.DEFAULT).data().release();
    // one read per run would be ~580; one span per stretch between holes plus the minority's runs ~310
    assertThat(store.files().reads() - before).as("reads for 600 alternating blocks").isLessThan(400);
    for (ByteBufAllocator alloc : ALLOCATORS) {
      PresentBlocks pb = store.readPresentBlocks(12, 3L * B, 590 * B, alloc);
      try {
        long expected = IntStream.range(3, 593).filter(i -> (i - 10) % 37 != 0 || i < 10).count();
        assertThat(pb.blocks()).hasSize((int) expected);
        for (int k = 0; k < pb.blocks().length; k++) {
          int index = (int) pb.blocks()[k];
          byte[] got = new byte[B];
          pb.data().getBytes(pb.data().readerIndex() + k * B, got);
          assertThat(got).as("block %d", index).isEqualTo(Arrays.copyOfRange(model, index * B, (index + 1) * B));
        }
      } finally {
        pb.data().release();
      }
    }
    assertThat(slotOf(12, 301)).isNotEqualTo(slotOf(12, 302));
    for (int victim : new int[] {301, 302}) {
      StoreTestData.flipDataBit(store, 12, victim, 9);
      assertIoError(() -> store.readPresentBlocks(12, 0, 600 * B, PooledByteBufAllocator.DEFAULT).data().release(),
          "crc mismatch pid=12 block=" + victim);
      StoreTestData.flipDataBit(store, 12, victim, 9);
    }
  }

  @Test
  void oneSpanIsChosenOnlyWhenTheSavedCallsOutweighTheBytesCopiedForNothing() {
    long s0 = 0L;
    long s1 = 1L << 32;
    long a = BlockReader.ABSENT;
    assertThat(BlockReader.spanSlot(new long[] {s0, s0, s0, s0}, 0, 4)).as("one run").isEqualTo(-1);
    assertThat(BlockReader.spanSlot(new long[] {s0, s0, s1, s1}, 0, 4)).as("one run per slot").isEqualTo(-1);
    assertThat(BlockReader.spanSlot(new long[] {s0, s1, s0, s1, s0}, 0, 5)).isEqualTo(0);
    assertThat(BlockReader.spanSlot(new long[] {s1, s0, s1, a, s1}, 0, 5)).as("slot 1 is the majority").isEqualTo(1);
    long[] farApart = new long[256];
    Arrays.fill(farApart, a);
    farApart[0] = s0;
    farApart[255] = s0;
    assertThat(BlockReader.spanSlot(farApart, 0, 256)).as("a MiB copied to save one call").isEqualTo(-1);
  }

  @Test
  void loadReturnsTheVerifiedValueOrNullAndRefusesBadOnes() throws Exception {
    byte[] data = random(9, 2 * B);
    write(4, 1, 0, data);
    BlockReader reader = new BlockReader(store.handles(), store.files(), new LongAdder(),
        new SlotFence());
    byte[] v = reader.load(4, 1);
    assertThat(v).isEqualTo(Arrays.copyOfRange(data, B, 2 * B));
    assertThat(reader.load(4, 2)).isNull();

    RocksHandles h = store.handles();
    h.db.put(h.blocks, BlockKeys.key(4, 3), new byte[5000]); // longer than a record
    assertIoError(() -> reader.load(4, 3), "corrupt block record pid=4 block=3");
    h.db.put(h.blocks, BlockKeys.key(4, 3), new byte[] {7, 0, 0, 0, 0}); // no such slot
    assertIoError(() -> reader.load(4, 3), "corrupt block record pid=4 block=3");
    StoreTestData.flipDataBit(store, 4, 0, 0);
    assertIoError(() -> reader.load(4, 0), "crc mismatch pid=4 block=0");
    // RMW of a partial block reads through load and keeps the rest
    write(4, 2, B + 10, new byte[] {1, 2, 3});
    byte[] expected = Arrays.copyOfRange(data, B, 2 * B);
    expected[10] = 1;
    expected[11] = 2;
    expected[12] = 3;
    assertThat(readBytes(4, B, B)).isEqualTo(expected);
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
        long expected = IntStream.range(64, 464)
            .filter(i -> !Arrays.equals(Arrays.copyOfRange(model, i * B, (i + 1) * B), new byte[B])).count();
        assertThat(pb.blocks()).hasSize((int) expected);
      } finally {
        pb.data().release();
      }
    }

    int victim = 200;
    while (Arrays.equals(Arrays.copyOfRange(model, victim * B, (victim + 1) * B), new byte[B])) victim++;
    final int bad = victim;
    StoreTestData.flipDataBit(store, 5, victim, 0);
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
    byte[] after = readBytes(6, 0, 10 * B);
    assertThat(Arrays.copyOfRange(after, 0, B)).isEqualTo(b0);
    assertThat(Arrays.copyOfRange(after, B, 2 * B)).isEqualTo(new byte[B]);
    assertThat(Arrays.copyOfRange(after, 2 * B, 3 * B)).as("skipped: the applied write stays")
        .isEqualTo(Arrays.copyOfRange(random(1, 4 * B), 2 * B, 3 * B));
    assertThat(Arrays.copyOfRange(after, 9 * B, 10 * B)).isEqualTo(b9);
    RocksHandles h = store.handles();
    assertThat(h.db.get(h.blocks, BlockKeys.key(6, 1))).as("a zero block is not stored").isNull();
    byte[] rec = h.db.get(h.blocks, BlockKeys.key(6, 9));
    assertThat(BlockRecord.decode(rec, rec.length).crc()).isEqualTo(BlockValueCodec.crc(b9));
  }

  @Test
  void anOverwriteGoesToTheOtherSlotSoAnUncommittedWriteNeverTouchesTheCommittedCopy() throws Exception {
    byte[] v1 = random(12, 2 * B);
    byte[] v2 = random(13, 2 * B);
    write(8, 1, 0, v1);
    int first = slotOf(8, 0);
    write(8, 2, 0, v2);
    assertThat(slotOf(8, 0)).isEqualTo(1 - first);
    assertThat(slotOf(8, 1)).isEqualTo(1 - first);
    // the previous version is still in its slot: a crash before the second commit would have left v1 intact
    assertThat(fileBytes(8, first, 0, 2 * B)).isEqualTo(v1);
    // a write that reached its data file but never committed (kill -9 in between) changes nothing readable
    try (RandomAccessFile f = new RandomAccessFile(store.files().file(8, first).toFile(), "rw")) {
      f.write(random(14, 2 * B));
    }
    assertThat(readBytes(8, 0, 2 * B)).isEqualTo(v2);
    // a partial overwrite (read-modify-write) also goes to the free slot, and back
    write(8, 3, 100, new byte[] {9});
    assertThat(slotOf(8, 0)).isEqualTo(first);
    byte[] expected = v2.clone();
    expected[100] = 9;
    assertThat(readBytes(8, 0, 2 * B)).isEqualTo(expected);
    // data and records survive a reopen
    store.close();
    store = RocksReplicaStore.open(dir, RocksStoreConfig.defaults());
    assertThat(readBytes(8, 0, 2 * B)).isEqualTo(expected);
  }

  @Test
  void twoWritesOfOneBlockInOneGroupCommitLandInOneSlotAndTheLaterWins() throws Exception {
    byte[] v1 = random(15, B);
    write(9, 1, 0, v1);
    int before = slotOf(9, 0);
    byte[] a = random(16, B);
    ByteBuf first = Unpooled.wrappedBuffer(a);
    ByteBuf second = Unpooled.wrappedBuffer(new byte[] {1, 2, 3});
    ByteBuf third = Unpooled.wrappedBuffer(new byte[B]);
    try {
      store.applyAll(new ExtentEpoch(9, 1), List.of(
          new ReplicaStore.Mutation(2, 1, 0, B, WriteKind.WRITE, first),
          new ReplicaStore.Mutation(3, 1, 10, 3, WriteKind.WRITE, second),
          new ReplicaStore.Mutation(4, 1, B, B, WriteKind.WRITE, third)), false);
    } finally {
      first.release();
      second.release();
      third.release();
    }
    byte[] expected = a.clone();
    expected[10] = 1;
    expected[11] = 2;
    expected[12] = 3;
    assertThat(readBytes(9, 0, 2 * B)).isEqualTo(concat(expected, new byte[B]));
    assertThat(slotOf(9, 0)).isEqualTo(1 - before);
  }

  @Test
  void aFormatTwoStoreIsUpgradedWithItsDataMovedToExtentFiles() throws Exception {
    RocksHandles h = store.handles();
    byte[] d1 = random(17, B);
    byte[] d2 = random(18, B);
    h.db.put(h.blocks, BlockKeys.key(11, 0), legacyValue(d1));
    h.db.put(h.blocks, BlockKeys.key(11, 5), legacyValue(d2));
    h.db.put(h.blocks, BlockKeys.key(12, 3), new BlockRecord(0, BlockValueCodec.crc(d2)).encode()); // already moved
    try (RandomAccessFile f = new RandomAccessFile(store.files().file(12, 0).toFile(), "rw")) {
      f.seek(3L * B);
      f.write(d2);
    }
    store.putReplicaMeta(new ReplicaMeta(11, 1, 2, ReplicaState.ACTIVE, 0));
    store.putReplicaMeta(new ReplicaMeta(12, 1, 1, ReplicaState.ACTIVE, 0));
    byte[] v2 = new byte[4];
    BlockKeys.putInt(v2, 0, 2);
    h.db.put(h.meta, "format_version".getBytes(StandardCharsets.UTF_8), v2);
    store.close();

    store = RocksReplicaStore.open(dir, RocksStoreConfig.defaults());

    assertThat(readBytes(11, 0, 6 * B)).isEqualTo(concat(d1, new byte[4 * B], d2));
    assertThat(readBytes(12, 3L * B, B)).isEqualTo(d2);
    RocksHandles after = store.handles();
    assertThat(BlockKeys.getInt(after.db.get(after.meta,
        "format_version".getBytes(StandardCharsets.UTF_8)), 0)).isEqualTo(3);
    assertThat(after.db.get(after.blocks, BlockKeys.key(11, 5))).hasSize(BlockRecord.SIZE);
  }

  @Test
  void aFormatTwoBlockWithABadCrcStopsTheUpgradeWithAClearError() throws Exception {
    RocksHandles h = store.handles();
    byte[] bad = legacyValue(random(19, B));
    bad[7] ^= 1;
    h.db.put(h.blocks, BlockKeys.key(13, 2), bad);
    byte[] v2 = new byte[4];
    BlockKeys.putInt(v2, 0, 2);
    h.db.put(h.meta, "format_version".getBytes(StandardCharsets.UTF_8), v2);
    store.close();
    assertIoError(() -> RocksReplicaStore.open(dir, RocksStoreConfig.defaults()).close(),
        "crc mismatch pid=13 block=2");
    store = RocksReplicaStore.open(dir.resolve("other"), RocksStoreConfig.defaults()); // for @AfterEach
  }

  @Test
  void readersOnOtherThreadsNeverSeeASlotBeingRewrittenAsCorruption() throws Exception {
    int blocks = 8;
    byte[][] versions = new byte[4][];
    for (int v = 0; v < versions.length; v++) versions[v] = random(40 + v, blocks * B);
    write(14, 1, 0, versions[0]);
    AtomicBoolean done = new AtomicBoolean();
    CompletableFuture<Integer> readsDone = CompletableFuture.supplyAsync(() -> {
      int reads = 0;
      while (!done.get() || reads < 100) {
        byte[] got = readBytes(14, 0, blocks * B);
        for (int b = 0; b < blocks; b++) { // every block is one whole version (blocks may mix versions)
          byte[] block = Arrays.copyOfRange(got, b * B, (b + 1) * B);
          boolean known = false;
          for (byte[] v : versions) known |= Arrays.equals(block, Arrays.copyOfRange(v, b * B, (b + 1) * B));
          assertThat(known).as("block %d of read %d", b, reads).isTrue();
        }
        reads++;
      }
      return reads;
    });
    for (int gen = 2; gen < 3000 && !readsDone.isDone(); gen++) write(14, gen, 0, versions[gen % versions.length]);
    done.set(true);
    assertThat(readsDone.get(30, TimeUnit.SECONDS)).isGreaterThanOrEqualTo(100);
    assertThat(store.crcErrors()).isZero();
  }

  private static byte[] legacyValue(byte[] data) {
    byte[] v = Arrays.copyOf(data, BlockValueCodec.LEGACY_VALUE_SIZE);
    BlockKeys.putInt(v, B, BlockValueCodec.crc(data));
    return v;
  }

  private int slotOf(long pid, int block) throws Exception {
    RocksHandles h = store.handles();
    byte[] v = h.db.get(h.blocks, BlockKeys.key(pid, block));
    return BlockRecord.decode(v, v.length).slot();
  }

  private byte[] fileBytes(long pid, int slot, long offset, int length) throws Exception {
    try (RandomAccessFile f = new RandomAccessFile(store.files().file(pid, slot).toFile(), "r")) {
      byte[] out = new byte[length];
      f.seek(offset);
      f.readFully(out);
      return out;
    }
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

  /** Each {offset, length} of {@code ranges} of pid reads back as in {@code model}, through every allocator. */
  private void assertRangesRead(long pid, byte[] model, int[][] ranges) {
    for (ByteBufAllocator alloc : ALLOCATORS) {
      for (int[] r : ranges) {
        ByteBuf got = store.read(pid, r[0], r[1], alloc);
        try {
          assertThat(ByteBufUtil.getBytes(got)).as("range %s", Arrays.toString(r))
              .isEqualTo(Arrays.copyOfRange(model, r[0], r[0] + r[1]));
        } finally {
          got.release();
        }
      }
    }
  }

  private void write(long pid, long gen, long offset, byte[] data) {
    ByteBuf buf = Unpooled.wrappedBuffer(data);
    try {
      store.apply(new ExtentEpoch(pid, 1), new Mutation(gen, 1, offset, data.length, WriteKind.WRITE, buf), false);
    } finally {
      buf.release();
    }
  }

  private static void release(ByteBuf b) {
    b.release();
  }

  private static void assertIoError(ThrowableAssert.ThrowingCallable call, String part) {
    assertThatThrownBy(call).isInstanceOf(BasaltException.class)
        .satisfies(e -> assertThat(((BasaltException) e).code()).isEqualTo(ErrorCode.IO_ERROR))
        .hasMessageContaining(part);
  }
}
