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
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksIterator;

/** The gen log of {@link RocksReplicaStore}: changedSince, partial ranges, applyChanges, trimming, format upgrade. */
@Timeout(120)
class GenLogStoreTest {
  private static final int B = BLOCK_SIZE;

  @TempDir Path dir;
  private RocksReplicaStore store;

  @AfterEach
  void close() {
    if (store != null) store.close();
  }

  @Test
  void applyLogsRangesThatChangedSinceAlignsAndMerges() {
    open(RocksStoreConfig.defaults());
    write(1, 1, 100, random(1, 10));                                             // block 0
    write(1, 2, 5L * B + 1, random(2, B));                                       // blocks 5, 6
    store.apply(new ExtentEpoch(1, 1),
        new Mutation(3, 1, 2L * B, B, WriteKind.WRITE_ZEROES, null), false);         // block 2
    write(1, 4, 6L * B + 100, random(3, 50));                                    // block 6
    store.apply(new ExtentEpoch(1, 1),
        new Mutation(5, 1, 0, 0, WriteKind.WRITE, Unpooled.EMPTY_BUFFER), false);   // nothing
    write(1, 6, B, random(4, B));                                                // block 1: joins 0 and 2

    assertThat(store.changedSince(1, 0)).contains(List.of(r(0, 3 * B), r(5L * B, 2 * B)));
    assertThat(store.changedSince(1, 2)).contains(List.of(r(B, 2 * B), r(6L * B, B)));
    assertThat(store.changedSince(1, 4)).contains(List.of(r(B, B)));
    assertThat(store.changedSince(1, 5)).contains(List.of(r(B, B)));
    assertThat(store.changedSince(1, 6)).contains(List.of());
    assertThat(store.partialRanges(1)).isEmpty();
    assertInvalid(() -> store.changedSince(1, 7));
    assertInvalid(() -> store.changedSince(1, -1));
    assertThat(store.changedSince(2, 0)).as("no replica, nothing changed").contains(List.of());
  }

  @Test
  void sameGenMutationJoinsTheCurrentGensEntry() {
    open(RocksStoreConfig.defaults());
    write(1, 1, 0, random(1, B));
    write(1, 2, 3L * B, random(2, B));
    write(1, 2, 8L * B, random(3, B)); // same gen again (a test-only local mutation)

    assertThat(store.changedSince(1, 1)).contains(List.of(r(3L * B, B), r(8L * B, B)));
    assertThat(store.replica(1).orElseThrow().gen()).isEqualTo(2);
  }

  @Test
  void logOlderThanTheRetentionIsTrimmedAndGivesEmpty() {
    open(RocksStoreConfig.defaults().withGenLogRetention(8));
    for (int gen = 1; gen <= 20; gen++) write(1, gen, (long) gen * B, random(gen, 10));
    write(2, 1, 0, random(99, 10)); // a neighbour's log is not trimmed by pid 1

    assertThat(store.changedSince(1, 12)).hasValueSatisfying(l -> assertThat(l).hasSize(1)
        .containsExactly(r(13L * B, 8 * B)));
    assertThat(store.changedSince(1, 11)).isEmpty();
    assertThat(store.changedSince(1, 0)).isEmpty();
    assertThat(logKeys(1)).as("floor + the last 8 gens").isEqualTo(1 + 8);
    assertThat(store.changedSince(2, 0)).contains(List.of(r(0, B)));
  }

  @Test
  void logSurvivesReopen() {
    open(RocksStoreConfig.defaults());
    write(1, 1, 0, random(1, 2 * B));
    write(1, 2, 10L * B, random(2, 10));
    reopen();

    assertThat(store.changedSince(1, 0)).contains(List.of(r(0, 2 * B), r(10L * B, B)));
    assertThat(store.changedSince(1, 1)).contains(List.of(r(10L * B, B)));
  }

  @Test
  void deleteReplicaDeletesItsLogOnly() {
    open(RocksStoreConfig.defaults());
    write(1, 1, 0, random(1, B));
    write(2, 1, 0, random(2, B));
    write(3, 1, 0, random(3, B));

    store.deleteReplica(2);

    assertThat(logKeys(2)).isZero();
    assertThat(logKeys(1)).isEqualTo(2);
    assertThat(logKeys(3)).isEqualTo(2);
    write(2, 1, 5L * B, random(4, B)); // recreated: a fresh log
    assertThat(store.changedSince(2, 0)).contains(List.of(r(5L * B, B)));
    reopen();
    assertThat(store.changedSince(3, 0)).contains(List.of(r(0, B)));
  }

  @Test
  void applyChangesMakesALaggingReplicaEqualAndLogsTheSkippedGens() {
    open(RocksStoreConfig.defaults());
    Random rnd = new Random(7);
    // pid 1 = the member ahead (gens 1..30), pid 2 = the one that stopped at gen 12.
    for (int gen = 1; gen <= 30; gen++) {
      long offset = rnd.nextInt(64 * B);
      int length = 1 + rnd.nextInt(3 * B);
      if (gen % 7 == 0) {
        for (long pid = 1; pid <= (gen <= 12 ? 2 : 1); pid++) {
          store.apply(new ExtentEpoch(pid, 1), new Mutation(gen, 1, offset, length, WriteKind.TRIM, null), false);
        }
      } else {
        byte[] data = random(rnd.nextLong(), length);
        for (long pid = 1; pid <= (gen <= 12 ? 2 : 1); pid++) write(pid, gen, offset, data);
      }
    }
    List<ByteRange> changes = store.changedSince(1, 12).orElseThrow();
    ByteBuf data = readAll(1, changes);
    try {
      store.applyChanges(new ExtentEpoch(2, 3), 12, 30, changes, data, true);
    } finally {
      data.release();
    }

    ReplicaDigest ahead = store.digest(1);
    ReplicaDigest caughtUp = store.digest(2);
    assertThat(caughtUp.hashHex()).isEqualTo(ahead.hashHex());
    assertThat(caughtUp.blockCount()).isEqualTo(ahead.blockCount());
    assertThat(caughtUp.gen()).isEqualTo(30);
    assertThat(store.replica(2)).contains(new ReplicaMeta(2, 3, 30, ReplicaState.ACTIVE));
    // Gens 13..29 were skipped: changes since any of them are covered by the entry under gen 30.
    assertThat(store.changedSince(2, 12)).contains(changes);
    assertThat(store.changedSince(2, 20)).contains(changes);
    assertThat(store.changedSince(2, 5).orElseThrow()).containsAll(store.changedSince(1, 5).orElseThrow());
  }

  @Test
  void applyChangesCreatesAMissingReplica() {
    open(RocksStoreConfig.defaults());
    write(1, 1, 0, random(1, 3 * B));
    write(1, 2, 9L * B, random(2, B));
    List<ByteRange> changes = store.changedSince(1, 0).orElseThrow();
    ByteBuf data = readAll(1, changes);
    try {
      store.applyChanges(new ExtentEpoch(2, 4), 0, 2, changes, data, true);
    } finally {
      data.release();
    }
    assertThat(store.digest(2).hashHex()).isEqualTo(store.digest(1).hashHex());
    assertThat(store.changedSince(2, 0)).contains(changes);
  }

  @Test
  void pagesBeforeTheLastKeepTheGenAndShowAsPartial() {
    open(RocksStoreConfig.defaults());
    write(1, 1, 0, random(1, 8 * B));
    write(2, 1, 0, random(1, 8 * B));
    write(1, 2, 0, random(2, 8 * B));
    List<ByteRange> changes = store.changedSince(1, 1).orElseThrow();
    List<ByteRange> first = List.of(r(0, 3 * B));
    List<ByteRange> rest = List.of(r(3L * B, 5 * B));
    assertThat(changes).containsExactly(r(0, 8 * B));

    applyFrom(1, 2, 1, 2, first, false);
    assertThat(store.replica(2).orElseThrow().gen()).isEqualTo(1);
    assertThat(store.partialRanges(2)).containsExactly(r(0, 3 * B));
    assertThat(store.digest(2).hashHex()).isNotEqualTo(store.digest(1).hashHex());
    BasaltException gap = catchBasalt(() -> applyFrom(1, 2, 0, 2, rest, true));
    assertThat(gap.code()).isEqualTo(ErrorCode.GENERATION_GAP);
    assertThat(gap.getMessage()).contains("have gen=1").contains("based on gen=0");

    applyFrom(1, 2, 1, 2, rest, true);
    assertThat(store.partialRanges(2)).isEmpty();
    assertThat(store.digest(2)).extracting(ReplicaDigest::gen, ReplicaDigest::hashHex)
        .containsExactly(2L, store.digest(1).hashHex());
  }

  @Test
  void aCompletedCatchUpClearsAnAbandonedOnesMarks() {
    open(RocksStoreConfig.defaults());
    write(1, 1, 0, random(1, 4 * B));
    write(2, 1, 0, random(1, 4 * B));
    // An owner at gen 9 pushed one page and died; the next owner only reaches gen 1 and repairs the blocks.
    ByteBuf junk = Unpooled.wrappedBuffer(random(5, 2 * B));
    store.applyChanges(new ExtentEpoch(2, 2), 1, 9, List.of(r(B, 2 * B)), junk, false);
    junk.release();
    assertThat(store.partialRanges(2)).containsExactly(r(B, 2 * B));

    applyFrom(1, 2, 1, 1, store.partialRanges(2), true);

    assertThat(store.partialRanges(2)).isEmpty();
    assertThat(store.digest(2)).extracting(ReplicaDigest::gen, ReplicaDigest::hashHex)
        .containsExactly(1L, store.digest(1).hashHex());
  }

  @Test
  void aGenSetFromOutsideRestartsTheLog() {
    open(RocksStoreConfig.defaults());
    write(1, 1, 0, random(1, B));
    write(1, 2, B, random(2, B));
    store.putReplicaMeta(store.replica(1).orElseThrow().withEpoch(7));
    assertThat(store.changedSince(1, 0)).as("epoch only: log kept").contains(List.of(r(0, 2 * B)));

    store.putReplicaMeta(store.replica(1).orElseThrow().withGen(9));

    assertThat(store.changedSince(1, 2)).isEmpty();
    assertThat(store.changedSince(1, 9)).contains(List.of());
    write(1, 10, 4L * B, random(3, 1));
    assertThat(store.changedSince(1, 9)).contains(List.of(r(4L * B, B)));
  }

  @Test
  void aVersionOneStoreIsUpgradedWithAnEmptyLogAtTheCurrentGen() throws Exception {
    open(RocksStoreConfig.defaults());
    write(1, 1, 0, random(1, B));
    write(1, 2, B, random(2, B));
    RocksHandles h = store.handles();
    byte[] v1 = new byte[4];
    BlockKeys.putInt(v1, 0, 1);
    h.db.put(h.meta, "format_version".getBytes(StandardCharsets.UTF_8), v1);
    h.db.deleteRange(h.genlog, BlockKeys.pidKey(1), GenLog.upperBound(1)); // as a version 1 store has no log

    reopen();

    assertThat(store.changedSince(1, 1)).isEmpty();
    assertThat(store.changedSince(1, 2)).contains(List.of());
    write(1, 3, 5L * B, random(3, 1));
    assertThat(store.changedSince(1, 2)).contains(List.of(r(5L * B, B)));
    byte[] version = store.handles().db.get(store.handles().meta,
        "format_version".getBytes(StandardCharsets.UTF_8));
    assertThat(BlockKeys.getInt(version, 0)).isEqualTo(StoreFormat.FORMAT_VERSION).isEqualTo(3);
  }

  @Test
  void badChangesAreInvalidArguments() {
    open(RocksStoreConfig.defaults());
    ByteBuf twoBlocks = Unpooled.wrappedBuffer(new byte[2 * B]);
    try {
      assertInvalid(() -> store.applyChanges(new ExtentEpoch(1, 1), 0, 1, List.of(r(1, 2 * B)), twoBlocks, true));
      assertInvalid(() -> store.applyChanges(new ExtentEpoch(1, 1), 0, 1, List.of(r(0, B + 1)), twoBlocks, true));
      assertInvalid(() -> store.applyChanges(new ExtentEpoch(1, 1), 0, 1, List.of(r(B, B), r(0, B)), twoBlocks, true));
      assertInvalid(() -> store.applyChanges(new ExtentEpoch(1, 1), 0, 1, List.of(r(0, 2 * B), r(B, B)), twoBlocks,
          true));
      assertInvalid(() -> store.applyChanges(new ExtentEpoch(1, 1), 0, 1, List.of(r(0, B)), twoBlocks, true));
      assertInvalid(() -> store.applyChanges(new ExtentEpoch(1, 1), 2, 1, List.of(r(0, 2 * B)), twoBlocks, true));
      assertInvalid(() -> store.applyChanges(new ExtentEpoch(0, 1), 0, 1, List.of(r(0, 2 * B)), twoBlocks, true));
      assertThat(store.replicas()).isEmpty();
      assertThat(twoBlocks.refCnt()).isEqualTo(1);
    } finally {
      twoBlocks.release();
    }
  }

  // ---- helpers ----

  private void open(RocksStoreConfig cfg) {
    store = RocksReplicaStore.open(dir, cfg);
  }

  private void reopen() {
    RocksStoreConfig cfg = RocksStoreConfig.defaults();
    store.close();
    store = RocksReplicaStore.open(dir, cfg);
  }

  private static ByteRange r(long offset, long length) {
    return new ByteRange(offset, length);
  }

  /** The replica's epoch (1 for a new one): these tests are about the log, not about fencing. */
  private long epochOf(long pid) {
    return store.replica(pid).map(ReplicaMeta::epoch).orElse(1L);
  }

  private void write(long pid, long gen, long offset, byte[] data) {
    ByteBuf buf = Unpooled.wrappedBuffer(data);
    try {
      store.apply(new ExtentEpoch(pid, epochOf(pid)),
          new Mutation(gen, epochOf(pid), offset, data.length, WriteKind.WRITE, buf), false);
    } finally {
      buf.release();
    }
  }

  /** Copies {@code ranges} of {@code from} onto {@code to} as a catch-up page. */
  private void applyFrom(long from, long to, long baseGen, long toGen, List<ByteRange> ranges, boolean last) {
    ByteBuf data = readAll(from, ranges);
    try {
      store.applyChanges(new ExtentEpoch(to, epochOf(to)), baseGen, toGen, ranges, data, last);
    } finally {
      data.release();
    }
  }

  private ByteBuf readAll(long pid, List<ByteRange> ranges) {
    CompositeByteBuf out = PooledByteBufAllocator.DEFAULT.compositeBuffer(Math.max(2, ranges.size()));
    for (ByteRange x : ranges) {
      out.addComponent(true, store.read(pid, x.offset(), (int) x.length(), PooledByteBufAllocator.DEFAULT));
    }
    return out;
  }

  private int logKeys(long pid) {
    RocksHandles h = store.handles();
    int n = 0;
    try (RocksIterator it = h.db.newIterator(h.genlog)) {
      for (it.seek(BlockKeys.pidKey(pid)); it.isValid() && BlockKeys.pid(it.key()) == pid; it.next()) n++;
    }
    return n;
  }

  private static BasaltException catchBasalt(ThrowingCallable call) {
    List<BasaltException> out = new ArrayList<>();
    assertThatThrownBy(call).isInstanceOfSatisfying(BasaltException.class, out::add);
    return out.get(0);
  }

  private static void assertInvalid(ThrowingCallable call) {
    assertThat(catchBasalt(call).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
  }
}
