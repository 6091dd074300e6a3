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
import io.netty.buffer.Unpooled;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A full disk is not a failed store (TESTPLAN F16 vs F17): new data is refused with NO_SPACE, but the store does not
 * fail, reads, deletes and metadata go on, and it takes data again once space is back.
 */
@Timeout(60)
class DiskFullStoreTest extends StoreTestBase {
  @Test
  void aFullDiskRefusesNewDataButKeepsReadsDeletesAndMetadata() {
    byte[] data = random(3, 2 * BLOCK_SIZE);
    store.apply(new ExtentEpoch(1, 1), new Mutation(1, 1, 0, data.length, WriteKind.WRITE,
        Unpooled.wrappedBuffer(data)), false);
    store.apply(new ExtentEpoch(2, 1), new Mutation(1, 1, 0, data.length, WriteKind.WRITE,
        Unpooled.wrappedBuffer(data)), false);

    store.diskSpace().noSpace("test: a slot file write hit ENOSPC");

    assertThatThrownBy(() -> store.apply(new ExtentEpoch(1, 1), new Mutation(2, 1, 0, BLOCK_SIZE, WriteKind.WRITE,
        Unpooled.wrappedBuffer(random(4, BLOCK_SIZE))), false))
        .isInstanceOfSatisfying(BasaltException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NO_SPACE));
    assertThatThrownBy(() -> store.writeCopiedBlocks(1, new long[] {5}, Unpooled.wrappedBuffer(random(5,
        BLOCK_SIZE)), b -> false))
        .isInstanceOfSatisfying(BasaltException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NO_SPACE));
    assertThat(store.failure()).as("a full disk is not a failed store").isEmpty();
    assertThat(store.replica(1).orElseThrow().gen()).as("the refused write was not applied").isEqualTo(1);
    assertThat(readBytes(1, 0, data.length)).isEqualTo(data);

    store.putReplicaMeta(new ReplicaMeta(1, 2, 1, ReplicaState.ACTIVE)); // an adopted epoch must still be saved
    store.deleteReplica(2); // deleting what moved away is how space comes back
    assertThat(store.replicas()).extracting(ReplicaMeta::pid).containsExactly(1L);

    store.diskSpace().poll(); // the test's file system has room: the probe write succeeds
    assertThat(store.diskSpace().full()).isFalse();
    store.applyAll(new ExtentEpoch(1, 2), List.of(new Mutation(2, 2, 0, BLOCK_SIZE, WriteKind.WRITE,
        Unpooled.wrappedBuffer(random(6, BLOCK_SIZE)))), true);
    assertThat(store.replica(1).orElseThrow().gen()).isEqualTo(2);
    assertThat(store.diskSpace().noSpaceErrors()).isEqualTo(1);
  }
}
