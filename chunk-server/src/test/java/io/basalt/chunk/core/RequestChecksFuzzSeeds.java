package io.basalt.chunk.core;

import com.google.protobuf.MessageLite;
import io.basalt.proto.ApplyChangesRequest;
import io.basalt.proto.ByteRange;
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
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Writes the checked-in seed corpus of {@link RequestChecksFuzzTest}: one valid request of every kind and the
 * hostile ones of TESTPLAN section 5. Off unless asked: {@code mvn -pl chunk-server -am test
 * -Dtest=RequestChecksFuzzSeeds -Dbasalt.fuzz.writeSeeds=true -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class RequestChecksFuzzSeeds {
  static final Path DIR = Path.of(
      "src/test/resources/io/basalt/chunk/core/RequestChecksFuzzTestInputs/requestChecks");
  private static final int B = 4096;

  static byte[] seed(int kind, int payload, MessageLite m) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(kind);
    out.write(payload >> 8);
    out.write(payload);
    out.writeBytes(m.toByteArray());
    return out.toByteArray();
  }

  private static ReplicateRequest.Builder replicate(long gen, int length) {
    return ReplicateRequest.newBuilder().setPid(9).setEpoch(4).setGen(gen).setOffset(B).setLength(length)
        .setKind(WriteKind.WRITE).setOwnerCid(2);
  }

  private static ByteRange range(long offset, long length) {
    return ByteRange.newBuilder().setOffset(offset).setLength(length).build();
  }

  static Map<String, byte[]> seeds() {
    Map<String, byte[]> s = new LinkedHashMap<>();
    WriteRequest.Builder w = WriteRequest.newBuilder().setPid(7).setEpoch(3).setOffset(B).setLength(B)
        .setKind(WriteKind.WRITE);
    s.put("write-valid", seed(0, B, w.build()));
    s.put("write-barrier-empty-zeroes", seed(0, 0, w.clone().setLength(0).setKind(WriteKind.WRITE_ZEROES).build()));
    s.put("write-negative-offset", seed(0, B, w.clone().setOffset(-1).build()));
    s.put("write-offset-plus-length-overflows", seed(0, B, w.clone().setOffset(Long.MAX_VALUE - 10).build()));
    s.put("write-length-data-mismatch", seed(0, B - 1, w.build()));
    s.put("write-epoch-long-max", seed(0, B, w.clone().setEpoch(Long.MAX_VALUE).build()));
    s.put("write-unknown-kind", seed(0, 0, w.clone().setKindValue(42).build()));
    ReadRequest.Builder r = ReadRequest.newBuilder().setPid(7).setEpoch(3).setOffset(0).setLength(B);
    s.put("read-valid", seed(1, 0, r.build()));
    s.put("read-larger-than-a-frame", seed(1, 0, r.clone().setLength(Integer.MAX_VALUE).build()));
    s.put("read-offset-near-long-max", seed(1, 0, r.clone().setOffset(Long.MAX_VALUE - 10).build()));
    s.put("flush-valid", seed(2, 0, FlushRequest.newBuilder().addPids(1).addPids(2).build()));
    s.put("flush-pid-zero", seed(2, 0, FlushRequest.newBuilder().addPids(0).build()));
    s.put("replicate-valid", seed(3, B, replicate(1, B).build()));
    s.put("replicate-gen-zero", seed(3, B, replicate(0, B).build()));
    s.put("batch-valid", seed(4, B + 100, ReplicateBatchRequest.newBuilder().addEntries(replicate(1, B))
        .addEntries(replicate(2, 2 * B).setKind(WriteKind.TRIM)).addEntries(replicate(3, 100)).build()));
    s.put("batch-mixed-pids", seed(4, 2 * B, ReplicateBatchRequest.newBuilder().addEntries(replicate(1, B))
        .addEntries(replicate(2, B).setPid(10)).build()));
    s.put("batch-negative-length", seed(4, B, ReplicateBatchRequest.newBuilder().addEntries(replicate(1, B))
        .addEntries(replicate(2, -B)).build()));
    s.put("sync-wal-valid", seed(5, 0, SyncWalRequest.getDefaultInstance()));
    s.put("sync-status-valid", seed(6, 0, SyncStatusRequest.newBuilder().setPid(1).setEpoch(2).setOwnerCid(3)
        .build()));
    FetchChangesRequest.Builder f = FetchChangesRequest.newBuilder().setPid(5).setEpoch(2).setOwnerCid(1)
        .setSinceGen(3).setStartOffset(8 * B).setMaxBytes(1 << 20).addInclude(range(0, B));
    s.put("fetch-changes-valid", seed(7, 0, f.build()));
    s.put("fetch-changes-unaligned", seed(7, 0, f.clone().setStartOffset(100).build()));
    ApplyChangesRequest.Builder a = ApplyChangesRequest.newBuilder().setPid(5).setEpoch(2).setOwnerCid(1)
        .setBaseGen(3).setToGen(9).addRanges(range(0, B)).addRanges(range(4 * B, 2 * B));
    s.put("apply-changes-valid", seed(8, 3 * B, a.build()));
    s.put("apply-changes-range-wraps", seed(8, B, a.clone().clearRanges()
        .addRanges(range(Long.MAX_VALUE / B * B, B)).build()));
    FetchBlocksRequest.Builder fb = FetchBlocksRequest.newBuilder().setPid(3).setRecoveryEpoch(5).setTargetCid(4)
        .setOffset(16 * B).setMaxBytes(64 * B);
    s.put("fetch-blocks-valid", seed(9, 0, fb.build()));
    s.put("fetch-blocks-unaligned-max", seed(9, 0, fb.clone().setMaxBytes(B + 1).build()));
    s.put("replica-status-valid", seed(10, 0, ReplicaStatusRequest.newBuilder().setPid(1).build()));
    s.put("set-failpoint-valid", seed(11, 0, SetFailpointRequest.newBuilder().setName("chunk.x").setAction("off")
        .build()));
    s.put("read-replica-valid", seed(12, 0, ReadReplicaRequest.newBuilder().setPid(1).setLength(B).build()));
    s.put("mutate-replica-valid", seed(13, B, MutateReplicaRequest.newBuilder().setPid(1).setLength(B)
        .setMutation(ReplicaMutation.WRITE_LOCAL).build()));
    s.put("not-a-message", new byte[] {0, 0, 0, (byte) 0xff, (byte) 0xff});
    return s;
  }

  @Test
  @EnabledIfSystemProperty(named = "basalt.fuzz.writeSeeds", matches = "true")
  void write() throws IOException {
    Files.createDirectories(DIR);
    for (Map.Entry<String, byte[]> e : seeds().entrySet()) {
      Files.write(DIR.resolve(e.getKey()), e.getValue());
    }
  }
}
