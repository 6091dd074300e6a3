package io.basalt.chunk.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import io.basalt.chunk.store.ByteRange;
import io.basalt.chunk.store.StoreArguments;
import io.basalt.proto.ApplyChangesRequest;
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
import java.util.Arrays;
import java.util.List;

/**
 * Fuzz target (README "Fuzzing"): the chunk's edge checks on protobuf requests parsed from fuzz bytes. Input: one
 * byte choosing the request kind, two bytes of payload length (the frame data that rides after the header), then
 * the message bytes. A check may pass or throw INVALID_ARGUMENT, nothing else; and what passes must be safe for
 * what comes after it: ranges inside the replica without overflow, payloads of the declared length, reads within a
 * frame, ids positive, and catch-up ranges the store's own conversion accepts.
 */
class RequestChecksFuzzTest {
  static final int KINDS = 14;
  private static final FrameLimits LIMITS = new FrameLimits(64 * 1024, 4096);
  private static final long MAX_END = StoreArguments.MAX_END;

  @FuzzTest(maxDuration = "10m")
  void requestChecks(byte[] input) throws InvalidProtocolBufferException {
    if (input.length < 3) return;
    int kind = (input[0] & 0xff) % KINDS;
    int payloadLength = ((input[1] & 0xff) << 8) | (input[2] & 0xff);
    byte[] message = Arrays.copyOfRange(input, 3, input.length);
    ByteBuf data = Unpooled.wrappedBuffer(new byte[payloadLength]);
    try {
      check(kind, message, data);
    } catch (InvalidProtocolBufferException e) {
      // not a message of that kind: the frame decoder's business, not the checks'
    } catch (BasaltException e) {
      assertThat(e.code()).as(e.getMessage()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
      assertThat(e.getMessage()).isNotBlank();
    }
  }

  private static void check(int kind, byte[] m, ByteBuf data) throws InvalidProtocolBufferException {
    int payload = data.readableBytes();
    switch (kind) {
      case 0 -> {
        WriteRequest r = WriteRequest.parseFrom(m);
        RequestChecks.write(r, data, LIMITS);
        inReplica(r.getPid(), r.getOffset(), r.getLength());
        knownKind(r.getKind());
        assertThat(payload).isEqualTo(r.getKind() == WriteKind.WRITE ? r.getLength() : 0);
        assertThat(r.getEpoch()).isNotNegative();
      }
      case 1 -> {
        ReadRequest r = ReadRequest.parseFrom(m);
        RequestChecks.read(r, LIMITS);
        inReplica(r.getPid(), r.getOffset(), r.getLength());
        assertThat(r.getLength()).isLessThanOrEqualTo(LIMITS.maxFrameBytes() - LIMITS.maxHeaderBytes());
      }
      case 2 -> {
        FlushRequest r = FlushRequest.parseFrom(m);
        RequestChecks.flush(r);
        assertThat(r.getPidsList()).hasSizeLessThanOrEqualTo(RequestChecks.MAX_FLUSH_PIDS).allMatch(p -> p > 0);
      }
      case 3 -> {
        ReplicateRequest r = ReplicateRequest.parseFrom(m);
        RequestChecks.replicate(r, data, LIMITS);
        replicateEntry(r);
        assertThat(payload).isEqualTo(r.getKind() == WriteKind.WRITE ? r.getLength() : 0);
      }
      case 4 -> {
        ReplicateBatchRequest r = ReplicateBatchRequest.parseFrom(m);
        RequestChecks.replicateBatch(r, data);
        assertThat(r.getEntriesCount()).isBetween(1, RequestChecks.MAX_BATCH_ENTRIES);
        long total = 0;
        for (ReplicateRequest e : r.getEntriesList()) {
          replicateEntry(e);
          assertThat(e.getPid()).isEqualTo(r.getEntries(0).getPid());
          if (e.getKind() == WriteKind.WRITE) total += e.getLength();
        }
        assertThat(total).isEqualTo(payload);
      }
      case 5 -> {
        RequestChecks.syncWal(SyncWalRequest.parseFrom(m), data);
        assertThat(payload).isZero();
      }
      case 6 -> {
        SyncStatusRequest r = SyncStatusRequest.parseFrom(m);
        RequestChecks.syncStatus(r);
        assertThat(r.getPid()).isPositive();
        assertThat(r.getEpoch()).isPositive();
        assertThat(r.getOwnerCid()).isPositive();
      }
      case 7 -> {
        FetchChangesRequest r = FetchChangesRequest.parseFrom(m);
        RequestChecks.fetchChanges(r);
        assertThat(r.getStartOffset()).isBetween(0L, MAX_END);
        assertThat(r.getStartOffset() % 4096).isZero();
        assertThat(r.getMaxBytes()).isGreaterThanOrEqualTo(4096);
        assertThat(r.getSinceGen()).isNotNegative();
        storeAccepts(r.getPid(), r.getIncludeList(), RequestChecks.MAX_UNPAGED_RANGES);
      }
      case 8 -> {
        ApplyChangesRequest r = ApplyChangesRequest.parseFrom(m);
        RequestChecks.applyChanges(r, data);
        assertThat(r.getToGen()).isGreaterThanOrEqualTo(r.getBaseGen());
        assertThat(r.getBaseGen()).isNotNegative();
        List<ByteRange> ranges = storeAccepts(r.getPid(), r.getRangesList(), RequestChecks.MAX_CHANGE_RANGES);
        assertThat(ByteRange.totalLength(ranges)).isEqualTo(payload);
      }
      case 9 -> {
        FetchBlocksRequest r = FetchBlocksRequest.parseFrom(m);
        RequestChecks.fetchBlocks(r);
        assertThat(r.getOffset()).isBetween(0L, MAX_END);
        assertThat(r.getOffset() % 4096).isZero();
        assertThat(r.getMaxBytes()).isPositive();
        assertThat(r.getMaxBytes() % 4096).isZero();
      }
      case 10 -> {
        ReplicaStatusRequest r = ReplicaStatusRequest.parseFrom(m);
        RequestChecks.replicaStatus(r);
        assertThat(r.getPid()).isPositive();
      }
      case 11 -> RequestChecks.setFailpoint(SetFailpointRequest.parseFrom(m));
      case 12 -> {
        ReadReplicaRequest r = ReadReplicaRequest.parseFrom(m);
        RequestChecks.readReplica(r, LIMITS);
        inReplica(r.getPid(), r.getOffset(), r.getLength());
        assertThat(r.getLength()).isLessThanOrEqualTo(LIMITS.maxFrameBytes() - LIMITS.maxHeaderBytes());
      }
      case 13 -> {
        MutateReplicaRequest r = MutateReplicaRequest.parseFrom(m);
        RequestChecks.mutateReplica(r, data);
        inReplica(r.getPid(), r.getOffset(), r.getLength());
        assertThat(r.getLength()).isPositive();
        assertThat(r.getMutation()).isIn(ReplicaMutation.DROP_BLOCKS, ReplicaMutation.WRITE_LOCAL);
        assertThat(payload).isEqualTo(r.getMutation() == ReplicaMutation.WRITE_LOCAL ? r.getLength() : 0);
      }
      default -> throw new AssertionError("kind " + kind);
    }
  }

  private static void replicateEntry(ReplicateRequest r) {
    inReplica(r.getPid(), r.getOffset(), r.getLength());
    knownKind(r.getKind());
    assertThat(r.getEpoch()).isPositive();
    assertThat(r.getGen()).isPositive();
    assertThat(r.getOwnerCid()).isPositive();
    assertThat(r.getGenEpoch()).isBetween(0L, r.getEpoch());
  }

  /** What the store needs: pid > 0 and [offset, offset + length) inside the block index space, no overflow. */
  private static void inReplica(long pid, long offset, int length) {
    assertThat(pid).isPositive();
    assertThat(offset).isNotNegative();
    assertThat(length).isNotNegative();
    assertThat(Math.addExact(offset, length)).isLessThanOrEqualTo(MAX_END);
  }

  private static void knownKind(WriteKind kind) {
    assertThat(kind).isIn(WriteKind.WRITE, WriteKind.WRITE_ZEROES, WriteKind.TRIM);
  }

  /** Ranges that passed the checks must pass the store's own conversion too, and end inside the replica. */
  private static List<ByteRange> storeAccepts(long pid, List<io.basalt.proto.ByteRange> in, int max) {
    List<ByteRange> out = ByteRange.fromProto("fuzz", pid, in, max);
    for (ByteRange r : out) {
      assertThat(r.end()).isLessThanOrEqualTo(MAX_END);
      assertThat(r.blockAligned()).isTrue();
    }
    return out;
  }
}
