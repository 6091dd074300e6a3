package io.basalt.chunk.store;

import static io.basalt.chunk.store.ReplicaStore.BLOCK_SIZE;
import static io.basalt.chunk.store.StoreTestData.filled;
import static io.basalt.chunk.store.StoreTestData.modelDigest;
import static io.basalt.chunk.store.StoreTestData.nonZeroBlocks;
import static io.basalt.chunk.store.StoreTestData.pickLength;
import static io.basalt.chunk.store.StoreTestData.pickOffset;
import static io.basalt.chunk.store.StoreTestData.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import io.basalt.chunk.store.ReplicaStore.Mutation;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ReplicaState;
import io.basalt.proto.WriteKind;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.StaleEpochException;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class RocksReplicaStoreTest extends StoreTestBase {
  private static final ByteBufAllocator POOLED = PooledByteBufAllocator.DEFAULT;
  private static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

  @Test
  void alignedWriteReadsBack() {
    byte[] data = random(1, 3 * BLOCK_SIZE);
    write(1, 1, 1, BLOCK_SIZE, data);

    assertThat(read(1, BLOCK_SIZE, data.length)).isEqualTo(data);
    assertThat(read(1, 0, BLOCK_SIZE)).isEqualTo(new byte[BLOCK_SIZE]);
    assertThat(read(1, 4 * BLOCK_SIZE, 2 * BLOCK_SIZE)).isEqualTo(new byte[2 * BLOCK_SIZE]);
    assertThat(read(1, 0, 0)).isEmpty();
    assertThat(store.replica(1)).contains(new ReplicaMeta(1, 1, 1, ReplicaState.ACTIVE));
    assertThat(store.digest(1).blockCount()).isEqualTo(3);
    assertThat(store.usedBytes()).isPositive();
    assertThat(store.capacityBytes()).isPositive();
  }

  @Test
  void corruptBlocksDamagesPresentBlocksUnderTheirCrcOnly() {
    write(1, 1, 1, 2L * BLOCK_SIZE, random(3, BLOCK_SIZE)); // block 2 only
    assertThat(store.corruptBlocks(1, 0, 4 * BLOCK_SIZE)).as("absent blocks are left alone").isEqualTo(1);
    assertThatThrownBy(() -> read(1, 2L * BLOCK_SIZE, BLOCK_SIZE)).isInstanceOf(BlockCorruptException.class);
    assertThat(read(1, 0, BLOCK_SIZE)).isEqualTo(new byte[BLOCK_SIZE]);
    assertThat(store.badBlocks(1, 10, new long[1])).containsExactly(2L);
  }

  @Test
  void randomUnalignedOpsMatchInMemoryModel() {
    int size = 64 * BLOCK_SIZE + 300; // a ragged end on purpose
    byte[] model = new byte[size];
    Random rnd = new Random(42);
    long gen = 0;
    for (int op = 0; op < 400; op++) {
      int offset = pickOffset(rnd, size);
      // Now and then a long op, so whole-replica zeroing takes the range-delete path too.
      int length = Math.min(size - offset, rnd.nextInt(20) == 0 ? rnd.nextInt(size) : pickLength(rnd));
      int kind = rnd.nextInt(10);
      if (kind < 6) {
        byte[] data = rnd.nextInt(8) == 0 ? new byte[length] : random(rnd.nextLong(), length);
        writeWithOffsetReader(7, ++gen, offset, data);
        System.arraycopy(data, 0, model, offset, length);
      } else {
        store.apply(new ExtentEpoch(7, 1),
            new Mutation(++gen, 1, offset, length, kind < 8 ? WriteKind.WRITE_ZEROES : WriteKind.TRIM, null), false);
        Arrays.fill(model, offset, offset + length, (byte) 0);
      }
      if (op % 25 == 0) {
        int readOffset = pickOffset(rnd, size);
        int readLength = Math.min(size - readOffset, pickLength(rnd));
        assertThat(read(7, readOffset, readLength)).as("op %d", op)
            .isEqualTo(Arrays.copyOfRange(model, readOffset, readOffset + readLength));
      }
    }
    assertThat(read(7, 0, size)).isEqualTo(model);
    ReplicaDigest digest = store.digest(7);
    assertThat(digest.hashHex()).isEqualTo(modelDigest(model));
    assertThat(digest.blockCount()).isEqualTo(nonZeroBlocks(model));
    assertThat(digest.gen()).isEqualTo(gen);
  }

  @Test
  void zeroesAndTrimZeroRangeIncludingPartialEdges() {
    byte[] ones = filled(6 * BLOCK_SIZE, (byte) 0xAB);
    write(3, 1, 1, 0, ones);

    store.apply(new ExtentEpoch(3, 1), new Mutation(2, 1, 100, 2 * BLOCK_SIZE, WriteKind.WRITE_ZEROES, null), false);
    Arrays.fill(ones, 100, 100 + 2 * BLOCK_SIZE, (byte) 0);
    assertThat(read(3, 0, ones.length)).isEqualTo(ones);
    assertThat(store.digest(3).blockCount()).as("block 1 wholly zeroed -> deleted").isEqualTo(5);

    store.apply(new ExtentEpoch(3, 1),
        new Mutation(3, 1, 3 * BLOCK_SIZE, BLOCK_SIZE, WriteKind.TRIM, Unpooled.EMPTY_BUFFER), false);
    Arrays.fill(ones, 3 * BLOCK_SIZE, 4 * BLOCK_SIZE, (byte) 0);
    assertThat(read(3, 0, ones.length)).isEqualTo(ones);
    assertThat(store.digest(3).blockCount()).isEqualTo(4);

    // Zeroing the rest of a partly zeroed block deletes it too.
    store.apply(new ExtentEpoch(3, 1), new Mutation(4, 1, 0, 100, WriteKind.WRITE_ZEROES, null), false);
    store.apply(new ExtentEpoch(3, 1),
        new Mutation(5, 1, 2 * BLOCK_SIZE + 100, BLOCK_SIZE - 100, WriteKind.TRIM, null), false);
    Arrays.fill(ones, 0, 3 * BLOCK_SIZE, (byte) 0);
    assertThat(read(3, 0, ones.length)).isEqualTo(ones);
    assertThat(store.digest(3).blockCount()).isEqualTo(2);
    assertThat(store.digest(3).hashHex()).isEqualTo(modelDigest(ones));
  }

  @Test
  void largeTrimUsesRangeDeleteAndKeepsEdgesAndNeighbours() {
    int blocks = BlockWriter.RANGE_DELETE_MIN_BLOCKS + 10;
    byte[] data = random(5, blocks * BLOCK_SIZE);
    write(4, 1, 1, 0, data);
    write(5, 1, 1, 0, data);
    ReplicaDigest neighbour = store.digest(5);

    store.apply(new ExtentEpoch(4, 1), new Mutation(2, 1, 10, blocks * BLOCK_SIZE - 20, WriteKind.TRIM, null), false);
    Arrays.fill(data, 10, data.length - 10, (byte) 0);

    assertThat(read(4, 0, data.length)).isEqualTo(data);
    assertThat(store.digest(4).blockCount()).isEqualTo(2);
    assertThat(store.digest(5)).isEqualTo(neighbour);
  }

  @Test
  void generationOnlyMovesForwardAndALowerEpochIsFenced() {
    store.apply(new ExtentEpoch(1, 1), new Mutation(1, 1, 0, 0, WriteKind.WRITE, Unpooled.EMPTY_BUFFER), false);
    assertThat(store.replica(1)).contains(new ReplicaMeta(1, 1, 1, ReplicaState.ACTIVE));

    store.apply(new ExtentEpoch(1, 3), new Mutation(2, 3, 0, 10, WriteKind.WRITE_ZEROES, null), true);
    assertThat(store.replica(1)).contains(new ReplicaMeta(1, 3, 2, ReplicaState.ACTIVE));

    store.apply(new ExtentEpoch(1, 3), new Mutation(1, 3, 0, 10, WriteKind.TRIM, null), false);
    assertThat(store.replica(1)).contains(new ReplicaMeta(1, 3, 2, ReplicaState.ACTIVE));

    // an owner fenced at a newer epoch applies nothing, even its own local write
    assertThatThrownBy(() -> store.apply(new ExtentEpoch(1, 2), new Mutation(3, 2, 0, 10, WriteKind.TRIM, null), false))
        .isInstanceOf(StaleEpochException.class).hasMessageContaining("epoch=2 below the replica's epoch=3");
    assertThat(store.replica(1)).contains(new ReplicaMeta(1, 3, 2, ReplicaState.ACTIVE));

    store.putReplicaMeta(new ReplicaMeta(1, 5, 2, ReplicaState.RECOVERING));
    write(1, 5, 3, 0, random(1, BLOCK_SIZE));
    assertThat(store.replica(1)).contains(new ReplicaMeta(1, 5, 3, ReplicaState.RECOVERING));
    assertThat(store.digest(1)).extracting(ReplicaDigest::epoch, ReplicaDigest::gen).containsExactly(5L, 3L);

    store.putReplicaMeta(new ReplicaMeta(2, 9, 0, ReplicaState.STALE));
    assertThat(store.replicas()).containsExactly(
        new ReplicaMeta(1, 5, 3, ReplicaState.RECOVERING), new ReplicaMeta(2, 9, 0, ReplicaState.STALE));
    assertThat(store.replica(3)).isEmpty();
  }

  @Test
  void eachGenRemembersTheEpochItWasWrittenAt() {
    write(1, 4, 1, 0, random(1, BLOCK_SIZE));
    ByteBuf buf = POOLED.directBuffer(BLOCK_SIZE).writeBytes(random(2, BLOCK_SIZE));
    try {
      store.apply(new ExtentEpoch(1, 6),
          new Mutation(2, 5, BLOCK_SIZE, BLOCK_SIZE, WriteKind.WRITE, buf), false); // created at 5, re-sent at 6
    } finally {
      buf.release();
    }

    assertThat(store.genEpoch(1, 1)).isEqualTo(4);
    assertThat(store.genEpoch(1, 2)).isEqualTo(5);
    assertThat(store.genEpoch(1, 3)).as("a gen not written").isZero();
    reopen();
    assertThat(store.genEpoch(1, 2)).isEqualTo(5);
  }

  @Test
  void catchUpBelowTheStoredEpochIsFenced() {
    write(1, 4, 1, 0, random(1, BLOCK_SIZE));
    ByteBuf buf = POOLED.directBuffer(BLOCK_SIZE).writeBytes(random(2, BLOCK_SIZE));
    try {
      assertThatThrownBy(() -> store.applyChanges(new ExtentEpoch(1, 3), 1, 2, List.of(new ByteRange(0, BLOCK_SIZE)),
          buf, true))
          .isInstanceOf(StaleEpochException.class);
    } finally {
      buf.release();
    }
    assertThat(store.replica(1)).contains(new ReplicaMeta(1, 4, 1, ReplicaState.ACTIVE));
  }

  @Test
  void identityPersistsAcrossReopen() {
    assertThat(store.identity()).isEmpty();
    ChunkIdentity id = new ChunkIdentity("cluster-a", 17);
    store.saveIdentity(id);
    reopen();

    assertThat(store.identity()).contains(id);
    store.saveIdentity(id);
    assertThatThrownBy(() -> store.saveIdentity(new ChunkIdentity("cluster-b", 17)))
        .isInstanceOfSatisfying(BasaltException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ALREADY_EXISTS));
    assertThat(store.identity()).contains(id);
  }

  @Test
  void replicasAndDataPersistAcrossReopen() {
    byte[] a = random(11, 5 * BLOCK_SIZE + 123);
    byte[] b = random(12, 2 * BLOCK_SIZE);
    write(1, 2, 7, 333, a);
    write(2, 4, 9, 0, b);
    ReplicaDigest da = store.digest(1);
    ReplicaDigest db = store.digest(2);
    reopen();

    assertThat(read(1, 333, a.length)).isEqualTo(a);
    assertThat(read(2, 0, b.length)).isEqualTo(b);
    assertThat(store.digest(1)).isEqualTo(da);
    assertThat(store.digest(2)).isEqualTo(db);
    assertThat(store.replicas()).extracting(ReplicaMeta::pid, ReplicaMeta::gen)
        .containsExactly(tuple(1L, 7L), tuple(2L, 9L));
  }

  @Test
  void equalContentGivesEqualDigestWhateverTheOpSequence() {
    byte[] content = random(21, 4 * BLOCK_SIZE);
    Arrays.fill(content, BLOCK_SIZE, 2 * BLOCK_SIZE, (byte) 0); // one all-zero block in the middle
    write(1, 1, 1, 0, content);

    // pid 2: garbage first, then the content in odd pieces, backwards, then zeroes over the hole.
    write(2, 1, 1, 0, random(22, 4 * BLOCK_SIZE));
    int[] cuts = {0, 1, 513, 4097, 9000, 12000, 4 * BLOCK_SIZE};
    for (int i = cuts.length - 2; i >= 0; i--) {
      write(2, 1, 10 - i, cuts[i], Arrays.copyOfRange(content, cuts[i], cuts[i + 1]));
    }
    store.apply(new ExtentEpoch(2, 1),
        new Mutation(11, 1, BLOCK_SIZE, BLOCK_SIZE, WriteKind.WRITE_ZEROES, null), false);
    ReplicaDigest d1 = store.digest(1);
    ReplicaDigest d2 = store.digest(2);
    assertThat(d2.hashHex()).isEqualTo(d1.hashHex()).isEqualTo(modelDigest(content));
    assertThat(d2.blockCount()).isEqualTo(d1.blockCount()).isEqualTo(3);

    write(2, 1, 12, 5000, new byte[] {1});
    assertThat(store.digest(2).hashHex()).isNotEqualTo(d1.hashHex());

    // Written-then-zeroed equals never written.
    write(3, 1, 1, 0, random(23, 2 * BLOCK_SIZE));
    write(3, 1, 2, 0, new byte[2 * BLOCK_SIZE]);
    assertThat(store.digest(3)).isEqualTo(new ReplicaDigest(3, 1, 2, EMPTY_SHA256, 0));
  }

  @Test
  void corruptBlockFailsReadNamingPidAndBlock() throws Exception {
    byte[] data = random(31, 3 * BLOCK_SIZE);
    write(9, 1, 1, 0, data);
    RocksHandles h = store.handles();
    StoreTestData.flipDataBit(store, 9, 1, 17); // data changed, CRC kept

    assertThatIoError(() -> read(9, 0, data.length), "crc mismatch pid=9 block=1");
    assertThat(store.crcErrors()).isEqualTo(1);
    assertThat(read(9, 0, BLOCK_SIZE)).isEqualTo(Arrays.copyOf(data, BLOCK_SIZE));
    assertThatIoError(() -> store.digest(9), "pid=9 block=1");
    assertThatIoError(() -> write(9, 1, 2, BLOCK_SIZE + 1, new byte[] {5}), "pid=9 block=1");

    h.db.put(h.blocks, BlockKeys.key(9, 2), new byte[100]); // not a block record
    assertThatIoError(() -> read(9, 2 * BLOCK_SIZE, 10), "corrupt block record pid=9 block=2");
    assertThat(store.crcErrors()).isEqualTo(4);
    assertThat(store.failure()).as("a bad block is not a failed store").isEmpty();

    // Whole-block overwrites need no read, so they repair.
    write(9, 1, 3, BLOCK_SIZE, Arrays.copyOfRange(data, BLOCK_SIZE, data.length));
    assertThat(read(9, 0, data.length)).isEqualTo(data);
  }

  @Test
  void deleteReplicaRemovesBlocksAndMetaOnly() {
    byte[] data = random(41, 8 * BLOCK_SIZE);
    write(1, 1, 1, 0, data);
    write(2, 1, 1, 0, data);
    write(3, 1, 1, 0, data);
    ReplicaDigest before = store.digest(3);

    store.deleteReplica(2);

    assertThat(store.replica(2)).isEmpty();
    assertThat(store.digest(2)).isEqualTo(new ReplicaDigest(2, 0, 0, EMPTY_SHA256, 0));
    assertThat(read(2, 0, data.length)).isEqualTo(new byte[data.length]);
    assertThat(read(1, 0, data.length)).isEqualTo(data);
    assertThat(store.digest(3)).isEqualTo(before);
    assertThat(store.replicas()).extracting(ReplicaMeta::pid).containsExactly(1L, 3L);
    reopen();
    assertThat(store.digest(2).blockCount()).isZero();
    assertThat(store.digest(3)).isEqualTo(before);
  }

  @Test
  void invalidArgumentsAreRejectedWithoutTouchingTheBuffer() {
    ByteBuf buf = Unpooled.wrappedBuffer(new byte[BLOCK_SIZE]);
    assertInvalid(() -> store.apply(new ExtentEpoch(1, 1),
        new Mutation(1, 1, -1, BLOCK_SIZE, WriteKind.WRITE, buf), false));
    assertInvalid(() -> store.apply(new ExtentEpoch(1, 1), new Mutation(1, 1, 0, -1, WriteKind.WRITE, buf), false));
    assertInvalid(() -> store.apply(new ExtentEpoch(1, 1),
        new Mutation(1, 1, 0, BLOCK_SIZE - 1, WriteKind.WRITE, buf), false));
    assertInvalid(() -> store.apply(new ExtentEpoch(1, 1),
        new Mutation(1, 1, 0, BLOCK_SIZE, WriteKind.WRITE, null), false));
    assertInvalid(() -> store.apply(new ExtentEpoch(1, 1),
        new Mutation(1, 1, 0, BLOCK_SIZE, WriteKind.WRITE_ZEROES, buf), false));
    assertInvalid(() -> store.apply(new ExtentEpoch(1, 1),
        new Mutation(1, 1, 0, BLOCK_SIZE, WriteKind.WRITE_KIND_UNSPECIFIED, buf), false));
    assertInvalid(() -> store.apply(new ExtentEpoch(1, 1), new Mutation(1, 1, 0, BLOCK_SIZE, null, buf), false));
    assertInvalid(() -> store.apply(new ExtentEpoch(0, 1),
        new Mutation(1, 1, 0, BLOCK_SIZE, WriteKind.WRITE, buf), false));
    assertInvalid(() -> store.apply(new ExtentEpoch(1, -1),
        new Mutation(1, -1, 0, BLOCK_SIZE, WriteKind.WRITE, buf), false));
    assertInvalid(() -> store.apply(new ExtentEpoch(1, 1),
        new Mutation(-1, 1, 0, BLOCK_SIZE, WriteKind.WRITE, buf), false));
    assertInvalid(() -> store.apply(new ExtentEpoch(1, 1),
        new Mutation(1, 1, StoreArguments.MAX_END, 1, WriteKind.TRIM, null), false));
    assertInvalid(() -> store.read(1, -5, 10, POOLED));
    assertInvalid(() -> store.read(1, 0, -1, POOLED));
    assertInvalid(() -> store.digest(-1));
    assertThat(buf.readerIndex()).isZero();
    assertThat(buf.refCnt()).isEqualTo(1);
    assertThat(store.replicas()).isEmpty();

    store.apply(new ExtentEpoch(1, 1), new Mutation(1, 1, 0, BLOCK_SIZE, WriteKind.WRITE, buf), false);
    assertThat(buf.readerIndex()).isZero();
    assertThat(buf.refCnt()).as("caller owns the data buffer").isEqualTo(1);
    buf.release();
  }

  @Test
  void rangesThatWrapALongAreRefusedBeforeAnyAllocation() {
    // offset + length wraps negative: a check written as a sum would pass and allocate `length` bytes first
    ByteBufAllocator refusing = new AbstractByteBufAllocator() {
      @Override
      public boolean isDirectBufferPooled() {
        return false;
      }

      @Override
      protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
        throw new AssertionError("allocated " + initialCapacity + " bytes for a refused range");
      }

      @Override
      protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
        throw new AssertionError("allocated " + initialCapacity + " bytes for a refused range");
      }
    };
    assertInvalid(() -> store.read(1, Long.MAX_VALUE - 10, Integer.MAX_VALUE, refusing));
    assertInvalid(() -> store.read(1, Long.MAX_VALUE, 1, refusing));
    assertInvalid(() -> store.read(1, StoreArguments.MAX_END - BLOCK_SIZE, BLOCK_SIZE + 1, refusing));
    assertInvalid(() -> store.readPresentBlocks(1, Long.MAX_VALUE - BLOCK_SIZE + 1, BLOCK_SIZE, refusing));
    ByteBuf zeroes = Unpooled.EMPTY_BUFFER;
    assertInvalid(() -> store.apply(new ExtentEpoch(1, 1),
        new Mutation(1, 1, Long.MAX_VALUE - 100, 4096, WriteKind.TRIM, zeroes), false));
    ByteBuf data = Unpooled.wrappedBuffer(new byte[BLOCK_SIZE]);
    assertInvalid(() -> store.applyChanges(new ExtentEpoch(1, 1), 0, 1,
        List.of(new ByteRange(Long.MAX_VALUE / BLOCK_SIZE * BLOCK_SIZE - BLOCK_SIZE, BLOCK_SIZE)), data, true));
    assertThat(store.replicas()).isEmpty();
  }

  @Test
  void failedStoreRefusesWritesButServesReads() {
    byte[] data = random(51, BLOCK_SIZE);
    write(1, 1, 1, 0, data);
    store.fail("simulated background error");

    assertThatIoError(() -> write(1, 1, 2, 0, data), "simulated background error");
    assertThatIoError(() -> store.syncWal(), "simulated background error");
    assertThatIoError(() -> store.deleteReplica(1), "simulated background error");
    assertThat(read(1, 0, BLOCK_SIZE)).isEqualTo(data);
    assertThat(store.failure()).contains("simulated background error");
  }

  @Test
  void syncWalForcesEveryDataFileWrittenSinceTheLastSync() {
    write(1, 1, 1, 0, random(62, BLOCK_SIZE));
    write(2, 1, 1, 0, random(63, 2 * BLOCK_SIZE));
    write(1, 1, 2, 0, random(64, BLOCK_SIZE)); // the other slot of pid 1
    assertThat(store.files().dirtyFiles()).isEqualTo(3);
    store.syncWal();
    assertThat(store.files().dirtyFiles()).isZero();
    store.syncWal(); // nothing to force but the WAL
    assertThat(store.failure()).isEmpty();
  }

  @Test
  void closeIsIdempotentAndLaterCallsAreRefused() {
    write(1, 1, 1, 0, random(61, BLOCK_SIZE));
    store.syncWal();
    store.close();
    store.close();
    assertThatThrownBy(() -> store.read(1, 0, 1, POOLED))
        .isInstanceOfSatisfying(BasaltException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
  }

  @Test
  void concurrentWritersOnDifferentPids() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<byte[]>> results = new ArrayList<>();
      for (int p = 1; p <= 4; p++) {
        long pid = p;
        results.add(pool.submit(() -> {
          byte[] model = new byte[16 * BLOCK_SIZE];
          Random rnd = new Random(pid);
          for (int gen = 1; gen <= 50; gen++) {
            int offset = rnd.nextInt(model.length - 1);
            int length = 1 + rnd.nextInt(Math.min(3 * BLOCK_SIZE, model.length - offset));
            byte[] data = random(rnd.nextLong(), length);
            write(pid, 1, gen, offset, data);
            System.arraycopy(data, 0, model, offset, data.length);
          }
          return model;
        }));
      }
      for (int p = 1; p <= 4; p++) {
        byte[] model = results.get(p - 1).get();
        assertThat(read(p, 0, model.length)).isEqualTo(model);
        assertThat(store.digest(p).gen()).isEqualTo(50);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  // ---- helpers ----

  private void reopen() {
    store.close();
    store = RocksReplicaStore.open(dir, RocksStoreConfig.defaults());
  }

  private void write(long pid, long epoch, long gen, long offset, byte[] data) {
    ByteBuf buf = POOLED.directBuffer(data.length).writeBytes(data);
    try {
      store.apply(new ExtentEpoch(pid, epoch),
          new Mutation(gen, epoch, offset, data.length, WriteKind.WRITE, buf), false);
    } finally {
      buf.release();
    }
  }

  /** Data behind a non-zero readerIndex, to prove the store reads by absolute index from the reader index. */
  private void writeWithOffsetReader(long pid, long gen, long offset, byte[] data) {
    ByteBuf buf = POOLED.heapBuffer(data.length + 7).writeBytes(new byte[7]).writeBytes(data).skipBytes(7);
    try {
      store.apply(new ExtentEpoch(pid, 1), new Mutation(gen, 1, offset, data.length, WriteKind.WRITE, buf), false);
      assertThat(buf.readerIndex()).isEqualTo(7);
    } finally {
      buf.release();
    }
  }

  private byte[] read(long pid, long offset, int length) {
    ByteBuf buf = store.read(pid, offset, length, POOLED);
    try {
      assertThat(buf.readableBytes()).isEqualTo(length);
      byte[] out = new byte[length];
      buf.getBytes(buf.readerIndex(), out);
      return out;
    } finally {
      buf.release();
    }
  }

  private static void assertInvalid(ThrowingCallable call) {
    assertThatThrownBy(call).isInstanceOfSatisfying(BasaltException.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
  }

  private static void assertThatIoError(ThrowingCallable call, String messagePart) {
    assertThatThrownBy(call).isInstanceOfSatisfying(BasaltException.class, e -> {
      assertThat(e.code()).isEqualTo(ErrorCode.IO_ERROR);
      assertThat(e.getMessage()).contains(messagePart);
    });
  }
}
