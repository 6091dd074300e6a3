package io.basalt.chunk;

import static io.basalt.chunk.ReplicatedWriteTest.random;
import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.MutateReplicaRequest;
import io.basalt.proto.ReadReplicaRequest;
import io.basalt.proto.ReplicaMutation;
import io.basalt.proto.SetFailpointRequest;
import io.basalt.rpc.Frame;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Test-only admin calls: refused without --test-mode; failpoints, direct replica reads and mutations with it. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TestAdminTest extends ClusterTestBase {
  private static final long PID = 9;

  private byte[] readReplica(int chunk, long offset, int length) {
    Frame f = c.client.call(c.address(chunk), Envelope.newBuilder().setReadReplica(ReadReplicaRequest.newBuilder()
        .setPid(PID).setOffset(offset).setLength(length)), null).join();
    try {
      return ByteBufUtil.getBytes(f.data());
    } finally {
      f.release();
    }
  }

  @Test
  void refusedUnlessTestMode() {
    c = new TestCluster(dir, 3);
    var failure = ChunkTestClient.failure(c.client.call(c.address(0), Envelope.newBuilder().setSetFailpoint(
        SetFailpointRequest.newBuilder().setName("chunk.owner.skip-replicate").setAction("on")), null));
    assertThat(failure.code()).isEqualTo(ErrorCode.TEST_ONLY);
  }

  @Test
  void readMutateAndSkipReplicationMakeReplicasDiverge() {
    c = new TestCluster(dir, 3, cfg -> cfg.withTestMode(true));
    c.createExtent(PID);
    byte[] a = random(1, 8192);
    c.client.write(c.address(0), PID, 0, a, false).join();
    assertThat(readReplica(2, 0, 8192)).isEqualTo(a);

    // drop the acked blocks on replica 2 only: its hash now differs, its generation does not
    c.client.call(c.address(2), Envelope.newBuilder().setMutateReplica(MutateReplicaRequest.newBuilder()
        .setPid(PID).setOffset(0).setLength(4096).setMutation(ReplicaMutation.DROP_BLOCKS)), null).join().release();
    assertThat(readReplica(2, 0, 4096)).isEqualTo(new byte[4096]);
    assertThat(c.client.status(c.address(2), PID).getGen()).isEqualTo(c.client.status(c.address(1), PID).getGen());
    assertThat(c.client.status(c.address(2), PID).getHash()).isNotEqualTo(c.client.status(c.address(1), PID)
        .getHash());

    // a valid block written locally on replica 1
    byte[] b = random(2, 4096);
    c.client.call(c.address(1), Envelope.newBuilder().setMutateReplica(MutateReplicaRequest.newBuilder()
        .setPid(PID).setOffset(4096).setLength(4096).setMutation(ReplicaMutation.WRITE_LOCAL)),
        Unpooled.wrappedBuffer(b)).join().release();
    assertThat(readReplica(1, 4096, 4096)).isEqualTo(b);

    // the owner acknowledges a write it never replicated while the failpoint is on
    c.client.call(c.address(0), Envelope.newBuilder().setSetFailpoint(SetFailpointRequest.newBuilder()
        .setName("chunk.owner.skip-replicate").setAction("1*on")), null).join().release();
    byte[] d = random(3, 4096);
    c.client.write(c.address(0), PID, 65536, d, false).join();
    assertThat(readReplica(0, 65536, 4096)).isEqualTo(d);
    assertThat(readReplica(1, 65536, 4096)).isEqualTo(new byte[4096]);
  }
}
