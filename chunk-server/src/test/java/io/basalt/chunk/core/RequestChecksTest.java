package io.basalt.chunk.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.basalt.chunk.store.StoreArguments;
import io.basalt.proto.ApplyChangesRequest;
import io.basalt.proto.ByteRange;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.FetchBlocksRequest;
import io.basalt.proto.FetchChangesRequest;
import io.basalt.proto.FlushRequest;
import io.basalt.proto.MutateReplicaRequest;
import io.basalt.proto.ReadReplicaRequest;
import io.basalt.proto.ReadRequest;
import io.basalt.proto.ReplicaMutation;
import io.basalt.proto.ReplicaStatusRequest;
import io.basalt.proto.ReplicateBatchRequest;
import io.basalt.proto.ReplicateRequest;
import io.basalt.proto.SetFailpointRequest;
import io.basalt.proto.SyncStatusRequest;
import io.basalt.proto.SyncWalRequest;
import io.basalt.proto.WriteKind;
import io.basalt.proto.WriteRequest;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.FrameLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** The hostile cases of TESTPLAN section 5 against the chunk's edge checks, and the valid requests next to them. */
class RequestChecksTest {
  private static final FrameLimits LIMITS = FrameLimits.DEFAULT;
  private static final int B = 4096;
  private static final ByteBuf NONE = Unpooled.EMPTY_BUFFER;

  private static WriteRequest.Builder write(long offset, int length) {
    return WriteRequest.newBuilder().setPid(7).setEpoch(3).setOffset(offset).setLength(length)
        .setKind(WriteKind.WRITE);
  }

  private static ByteBuf data(int length) {
    return Unpooled.wrappedBuffer(new byte[length]);
  }

  @Test
  void validWritesPass() {
    assertValid(() -> RequestChecks.write(write(B, B).build(), data(B), LIMITS));
    assertValid(() -> RequestChecks.write(write(100, 3).build(), data(3), LIMITS)); // unaligned is the owner's RMW
    assertValid(() -> RequestChecks.write(write(0, 1 << 20).setKind(WriteKind.TRIM).build(), NONE, LIMITS));
    // the recovery barrier: an empty WRITE_ZEROES
    assertValid(() -> RequestChecks.write(write(0, 0).setKind(WriteKind.WRITE_ZEROES).build(), NONE, LIMITS));
    assertValid(() -> RequestChecks.write(write(0, 0).setKind(WriteKind.WRITE_ZEROES).build(), null, LIMITS));
  }

  @Test
  void hostileWritesAreInvalidArguments() {
    assertInvalid(() -> RequestChecks.write(write(-1, B).build(), data(B), LIMITS), "offset=18446744073709551615");
    assertInvalid(() -> RequestChecks.write(write(Long.MAX_VALUE, B).build(), data(B), LIMITS), "range");
    assertInvalid(() -> RequestChecks.write(write(Long.MAX_VALUE - 10, B).build(), data(B), LIMITS), "range");
    assertInvalid(() -> RequestChecks.write(write(StoreArguments.MAX_END - B + 1, B).build(), data(B), LIMITS),
        "range");
    assertInvalid(() -> RequestChecks.write(write(0, -1).setKind(WriteKind.TRIM).build(), NONE, LIMITS),
        "length=4294967295");
    assertInvalid(() -> RequestChecks.write(write(0, B).build(), data(B - 1), LIMITS), "data length mismatch");
    assertInvalid(() -> RequestChecks.write(write(0, B).build(), data(B + 1), LIMITS), "data length mismatch");
    assertInvalid(() -> RequestChecks.write(write(0, B).build(), null, LIMITS), "data length mismatch");
    assertInvalid(() -> RequestChecks.write(write(0, B).setKind(WriteKind.TRIM).build(), data(B), LIMITS),
        "data length mismatch");
    assertInvalid(() -> RequestChecks.write(write(0, B).setKind(WriteKind.WRITE_KIND_UNSPECIFIED).build(),
        NONE, LIMITS), "unknown write kind");
    assertInvalid(() -> RequestChecks.write(write(0, B).setKindValue(99).build(), NONE, LIMITS),
        "unknown write kind");
    assertInvalid(() -> RequestChecks.write(write(0, B).setPid(0).build(), data(B), LIMITS), "pid=0");
    assertInvalid(() -> RequestChecks.write(write(0, B).setPid(-5).build(), data(B), LIMITS),
        "pid=18446744073709551611");
    assertInvalid(() -> RequestChecks.write(write(0, B).setEpoch(-1).build(), data(B), LIMITS), "epoch");
  }

  @Test
  void epochMaxValuePassesTheEdgeFencingIsTheReplicasJob() {
    assertValid(() -> RequestChecks.write(write(0, B).setEpoch(Long.MAX_VALUE).build(), data(B), LIMITS));
    assertValid(() -> RequestChecks.replicate(replicate(1, B).setEpoch(Long.MAX_VALUE).build(), data(B), LIMITS));
    assertValid(() -> RequestChecks.syncStatus(SyncStatusRequest.newBuilder().setPid(1).setEpoch(Long.MAX_VALUE)
        .setOwnerCid(2).build()));
  }

  @Test
  void readsLargerThanAFrameAreRefusedBeforeAnyWork() {
    ReadRequest.Builder r = ReadRequest.newBuilder().setPid(7).setEpoch(3);
    int budget = LIMITS.maxFrameBytes() - LIMITS.maxHeaderBytes();
    assertValid(() -> RequestChecks.read(r.setOffset(0).setLength(budget).build(), LIMITS));
    assertValid(() -> RequestChecks.read(r.setOffset(B).setLength(0).build(), LIMITS));
    assertInvalid(() -> RequestChecks.read(r.setOffset(0).setLength(budget + 1).build(), LIMITS), "budget=");
    assertInvalid(() -> RequestChecks.read(r.setOffset(0).setLength(Integer.MAX_VALUE).build(), LIMITS),
        "budget=");
    assertInvalid(() -> RequestChecks.read(r.setOffset(0).setLength(-1).build(), LIMITS), "length=4294967295");
    // the 2 GiB direct allocation of issue 9: an offset near Long.MAX_VALUE whose sum with length wraps
    assertInvalid(() -> RequestChecks.read(r.setOffset(Long.MAX_VALUE - 10).setLength(B).build(), LIMITS),
        "range");
    assertInvalid(() -> RequestChecks.read(r.setOffset(-B).setLength(B).build(), LIMITS), "range");
    FrameLimits small = new FrameLimits(64 * 1024, 4096);
    assertInvalid(() -> RequestChecks.read(r.setOffset(0).setLength(61 * 1024).build(), small), "budget=61440");
  }

  @Test
  void flushPidsAreBounded() {
    assertValid(() -> RequestChecks.flush(FlushRequest.newBuilder().addPids(1).addPids(2).build()));
    assertValid(() -> RequestChecks.flush(FlushRequest.getDefaultInstance()));
    assertInvalid(() -> RequestChecks.flush(FlushRequest.newBuilder().addPids(1).addPids(0).build()), "pid=0");
    assertInvalid(() -> RequestChecks.flush(FlushRequest.newBuilder().addPids(-1).build()), "pid=");
    FlushRequest.Builder many = FlushRequest.newBuilder();
    for (int i = 1; i <= RequestChecks.MAX_FLUSH_PIDS + 1; i++) many.addPids(i);
    assertInvalid(() -> RequestChecks.flush(many.build()), "at most");
  }

  private static ReplicateRequest.Builder replicate(long gen, int length) {
    return ReplicateRequest.newBuilder().setPid(9).setEpoch(4).setGen(gen).setOffset(0).setLength(length)
        .setKind(WriteKind.WRITE).setOwnerCid(2);
  }

  @Test
  void replicatesNeedIdsRangeKindAndMatchingData() {
    assertValid(() -> RequestChecks.replicate(replicate(1, B).build(), data(B), LIMITS));
    assertValid(() -> RequestChecks.replicate(replicate(2, 0).setKind(WriteKind.WRITE_ZEROES).build(), NONE,
        LIMITS));
    assertInvalid(() -> RequestChecks.replicate(replicate(0, B).build(), data(B), LIMITS), "gen > 0");
    assertInvalid(() -> RequestChecks.replicate(replicate(-1, B).build(), data(B), LIMITS), "gen > 0");
    assertInvalid(() -> RequestChecks.replicate(replicate(1, B).setEpoch(0).build(), data(B), LIMITS), "epoch");
    assertInvalid(() -> RequestChecks.replicate(replicate(1, B).setOwnerCid(0).build(), data(B), LIMITS),
        "owner_cid");
    assertInvalid(() -> RequestChecks.replicate(replicate(1, B).setOffset(Long.MIN_VALUE).build(), data(B), LIMITS),
        "range");
    assertInvalid(() -> RequestChecks.replicate(replicate(1, B).build(), data(2 * B), LIMITS), "mismatch");
    assertInvalid(() -> RequestChecks.replicate(replicate(1, B).setKindValue(7).build(), NONE, LIMITS),
        "unknown write kind");
    assertValid(() -> RequestChecks.replicate(replicate(1, B).setGenEpoch(3).build(), data(B), LIMITS));
    assertInvalid(() -> RequestChecks.replicate(replicate(1, B).setGenEpoch(5).build(), data(B), LIMITS),
        "gen_epoch above epoch");
    assertInvalid(() -> RequestChecks.replicate(replicate(1, B).setGenEpoch(-1).build(), data(B), LIMITS),
        "gen_epoch beyond 2^63");
  }

  @Test
  void replicateBatchesAreOnePidBoundedAndExactlyCovered() {
    ReplicateBatchRequest ok = ReplicateBatchRequest.newBuilder().addEntries(replicate(1, B))
        .addEntries(replicate(2, 2 * B).setKind(WriteKind.TRIM)).addEntries(replicate(3, 100)).build();
    assertValid(() -> RequestChecks.replicateBatch(ok, data(B + 100)));
    assertInvalid(() -> RequestChecks.replicateBatch(ok, data(B + 99)), "data length mismatch");
    assertInvalid(() -> RequestChecks.replicateBatch(ok, data(B + 101)), "data length mismatch");
    assertInvalid(() -> RequestChecks.replicateBatch(ReplicateBatchRequest.getDefaultInstance(), NONE),
        "0 entries");
    ReplicateBatchRequest mixed = ReplicateBatchRequest.newBuilder().addEntries(replicate(1, B))
        .addEntries(replicate(2, B).setPid(10)).build();
    assertInvalid(() -> RequestChecks.replicateBatch(mixed, data(2 * B)), "mixes pid=9 and pid=10");
    ReplicateBatchRequest.Builder many = ReplicateBatchRequest.newBuilder();
    for (int i = 1; i <= RequestChecks.MAX_BATCH_ENTRIES + 1; i++) many.addEntries(replicate(i, 0));
    assertInvalid(() -> RequestChecks.replicateBatch(many.build(), NONE), "entries");
    ReplicateBatchRequest hostile = ReplicateBatchRequest.newBuilder().addEntries(replicate(1, B))
        .addEntries(replicate(2, -B)).build();
    assertInvalid(() -> RequestChecks.replicateBatch(hostile, data(B)), "range");
    assertValid(() -> RequestChecks.syncWal(SyncWalRequest.getDefaultInstance(), NONE));
    assertInvalid(() -> RequestChecks.syncWal(SyncWalRequest.getDefaultInstance(), data(1)), "no data");
  }

  private static ByteRange range(long offset, long length) {
    return ByteRange.newBuilder().setOffset(offset).setLength(length).build();
  }

  @Test
  void catchUpRangesAreAlignedNonEmptyBoundedAndMatchTheData() {
    ApplyChangesRequest.Builder a = ApplyChangesRequest.newBuilder().setPid(5).setEpoch(2).setOwnerCid(1)
        .setBaseGen(3).setToGen(9);
    assertValid(() -> RequestChecks.applyChanges(a.clone().addRanges(range(0, B)).addRanges(range(4 * B, 2 * B))
        .build(), data(3 * B)));
    assertValid(() -> RequestChecks.applyChanges(a.clone().setLast(true).build(), NONE));
    assertInvalid(() -> RequestChecks.applyChanges(a.clone().addRanges(range(0, B)).build(), data(B - 1)),
        "mismatch");
    assertInvalid(() -> RequestChecks.applyChanges(a.clone().addRanges(range(1, B)).build(), data(B)),
        "block-aligned");
    assertInvalid(() -> RequestChecks.applyChanges(a.clone().addRanges(range(0, 0)).build(), NONE), "non-empty");
    assertInvalid(() -> RequestChecks.applyChanges(a.clone().addRanges(range(-B, B)).build(), data(B)),
        "offset=18446744073709547520");
    assertInvalid(() -> RequestChecks.applyChanges(a.clone().addRanges(range(Long.MAX_VALUE / B * B, B)).build(),
        data(B)), "inside the replica");
    assertInvalid(() -> RequestChecks.applyChanges(a.clone().addRanges(range(B, Long.MAX_VALUE / B * B)).build(),
        data(B)), "inside the replica");
    assertInvalid(() -> RequestChecks.applyChanges(a.clone().setToGen(2).build(), NONE), "to_gen below base_gen");
    assertInvalid(() -> RequestChecks.applyChanges(a.clone().setBaseGen(-1).build(), NONE), "base_gen");
    assertInvalid(() -> RequestChecks.applyChanges(a.clone().setOwnerCid(-1).build(), NONE), "owner_cid");

    FetchChangesRequest.Builder f = FetchChangesRequest.newBuilder().setPid(5).setEpoch(2).setOwnerCid(1)
        .setSinceGen(3).setStartOffset(8 * B).setMaxBytes(1 << 20);
    assertValid(() -> RequestChecks.fetchChanges(f.clone().addInclude(range(0, B)).build()));
    assertValid(() -> RequestChecks.fetchChanges(f.clone().setMaxBytes(B + 1).build())); // a page may be ragged
    assertInvalid(() -> RequestChecks.fetchChanges(f.clone().setStartOffset(100).build()), "block-aligned");
    assertInvalid(() -> RequestChecks.fetchChanges(f.clone().setStartOffset(Long.MIN_VALUE).build()),
        "block-aligned");
    assertInvalid(() -> RequestChecks.fetchChanges(f.clone().setMaxBytes(0).build()), "max_bytes");
    assertInvalid(() -> RequestChecks.fetchChanges(f.clone().setMaxBytes(-1).build()), "maxBytes=4294967295");
    assertInvalid(() -> RequestChecks.fetchChanges(f.clone().setSinceGen(-1).build()), "since_gen");
    FetchChangesRequest.Builder many = f.clone();
    for (int i = 0; i <= RequestChecks.MAX_UNPAGED_RANGES; i++) many.addInclude(range((long) i * 2 * B, B));
    assertInvalid(() -> RequestChecks.fetchChanges(many.build()), "at most 1024");

    assertValid(() -> RequestChecks.syncStatus(SyncStatusRequest.newBuilder().setPid(1).setEpoch(1)
        .setOwnerCid(1).build()));
    assertInvalid(() -> RequestChecks.syncStatus(SyncStatusRequest.newBuilder().setPid(1).setEpoch(0)
        .setOwnerCid(1).build()), "epoch > 0");
  }

  @Test
  void fetchBlocksIsAlignedAndNonEmpty() {
    FetchBlocksRequest.Builder r = FetchBlocksRequest.newBuilder().setPid(3).setRecoveryEpoch(5).setTargetCid(4)
        .setOffset(16 * B).setMaxBytes(64 * B);
    assertValid(() -> RequestChecks.fetchBlocks(r.build()));
    assertInvalid(() -> RequestChecks.fetchBlocks(r.clone().setOffset(16 * B + 1).build()), "block-aligned");
    assertInvalid(() -> RequestChecks.fetchBlocks(r.clone().setOffset(-B).build()), "block-aligned");
    assertInvalid(() -> RequestChecks.fetchBlocks(r.clone().setOffset(Long.MAX_VALUE / B * B).build()),
        "beyond the max replica size");
    assertInvalid(() -> RequestChecks.fetchBlocks(r.clone().setMaxBytes(0).build()), "max_bytes");
    assertInvalid(() -> RequestChecks.fetchBlocks(r.clone().setMaxBytes(B + 1).build()), "max_bytes");
    assertInvalid(() -> RequestChecks.fetchBlocks(r.clone().setMaxBytes(-B).build()), "max_bytes");
    assertInvalid(() -> RequestChecks.fetchBlocks(r.clone().setTargetCid(0).build()), "target_cid");
    assertInvalid(() -> RequestChecks.fetchBlocks(r.clone().setRecoveryEpoch(-1).build()), "recovery_epoch");
  }

  @Test
  void adminRequestsAreCheckedToo() {
    assertValid(() -> RequestChecks.replicaStatus(ReplicaStatusRequest.newBuilder().setPid(1).build()));
    assertInvalid(() -> RequestChecks.replicaStatus(ReplicaStatusRequest.getDefaultInstance()), "pid=0");
    assertValid(() -> RequestChecks.readReplica(ReadReplicaRequest.newBuilder().setPid(1).setLength(B).build(),
        LIMITS));
    assertInvalid(() -> RequestChecks.readReplica(ReadReplicaRequest.newBuilder().setPid(1).setOffset(1)
        .setLength(Integer.MAX_VALUE).build(), LIMITS), "budget");
    MutateReplicaRequest.Builder m = MutateReplicaRequest.newBuilder().setPid(1).setOffset(0).setLength(B)
        .setMutation(ReplicaMutation.WRITE_LOCAL);
    assertValid(() -> RequestChecks.mutateReplica(m.build(), data(B)));
    assertInvalid(() -> RequestChecks.mutateReplica(m.build(), data(B / 2)), "mismatch");
    assertValid(() -> RequestChecks.mutateReplica(m.clone().setMutation(ReplicaMutation.DROP_BLOCKS).build(), NONE));
    assertInvalid(() -> RequestChecks.mutateReplica(m.clone().setMutationValue(42).build(), NONE),
        "unknown mutation");
    assertInvalid(() -> RequestChecks.mutateReplica(m.clone().setLength(0).build(), NONE), "zero length");
    assertInvalid(() -> RequestChecks.setFailpoint(SetFailpointRequest.newBuilder().setAction("off").build()),
        "failpoint");
    assertInvalid(() -> RequestChecks.setFailpoint(SetFailpointRequest.newBuilder().setName("x")
        .setAction("e".repeat(300)).build()), "failpoint");
  }

  private static void assertValid(ThrowingCallable call) {
    assertThatCode(call).doesNotThrowAnyException();
  }

  private static void assertInvalid(ThrowingCallable call, String messagePart) {
    assertThatThrownBy(call).isInstanceOfSatisfying(BasaltException.class, e -> {
      assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
      assertThat(e.getMessage()).contains(messagePart);
    });
  }
}
