package io.basalt.chunk;

import static io.basalt.chunk.ReplicatedWriteTest.random;
import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * TESTPLAN F19 a/b at the owner: a read that hits a block whose data no longer matches its CRC is served from a
 * member's good copy and the owner's block is repaired in place; with no good copy anywhere the read fails with
 * IO_ERROR, never with wrong data.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReadRepairTest extends ClusterTestBase {
  private static final long PID = 5;
  private static final int SIZE = 64 * 1024;
  private byte[] data;

  @BeforeEach
  void start() {
    startCluster(new TestCluster(dir, 3), PID, 0);
    data = random(7, SIZE);
    c.client.write(c.address(0), PID, 0, data, true).join();
  }

  @Test
  void aCorruptBlockOnTheOwnerIsServedFromAMemberAndRepaired() throws Exception {
    BlockDamage.flipBytes(dir.resolve("chunk0"), PID, 3);

    byte[] read = c.client.read(c.address(0), PID, 8192, 16384);

    assertThat(read).isEqualTo(Arrays.copyOfRange(data, 8192, 8192 + 16384));
    assertThat(c.chunk(0).registry().counter("basalt_chunk_read_repaired_blocks").getCount()).isEqualTo(1);
    ByteBuf local = c.chunk(0).store().read(PID, 3 * 4096, 4096, PooledByteBufAllocator.DEFAULT);
    try {
      assertThat(ByteBufUtil.getBytes(local)).isEqualTo(Arrays.copyOfRange(data, 3 * 4096, 4 * 4096));
    } finally {
      local.release();
    }
    c.assertReplicasIdentical(PID);
    // and the write path goes on over the repaired block
    c.client.write(c.address(0), PID, 3 * 4096 + 10, random(8, 100), false).join();
    c.assertReplicasIdentical(PID);
  }

  @Test
  void withNoGoodCopyAnywhereTheReadFailsRatherThanServeWrongData() throws Exception {
    for (int i = 0; i < 3; i++) BlockDamage.flipBytes(dir.resolve("chunk" + i), PID, 5);

    BasaltException e = ChunkTestClient.failure(c.client.readAsync(c.address(0), PID, 4 * 4096, 8192));

    assertThat(e.code()).isEqualTo(ErrorCode.IO_ERROR);
    assertThat(e.getMessage()).contains("no member had a good copy");
    assertThat(c.chunk(0).registry().counter("basalt_chunk_read_repairs_failed").getCount()).isEqualTo(1);
    // blocks elsewhere still read
    assertThat(c.client.read(c.address(0), PID, 0, 4096)).isEqualTo(Arrays.copyOf(data, 4096));
  }
}
