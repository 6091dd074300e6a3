package io.basalt.chunk.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.chunk.store.ExtentEpoch;
import io.basalt.chunk.store.PresentBlocks;
import io.basalt.chunk.store.ReplicaMeta;
import io.basalt.chunk.store.ReplicaStore.Mutation;
import io.basalt.chunk.store.RocksReplicaStore;
import io.basalt.chunk.store.RocksStoreConfig;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ReplicaState;
import io.basalt.proto.WriteKind;
import io.basalt.rpc.BasaltException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The target's replica of a recovery attempt: the kept catch-up base, and what a restart leaves of a copy. */
class RecoveringReplicasTest {
  private static final int B = 4096;
  @TempDir Path dir;
  private RocksReplicaStore store;
  private RecoveringReplicas replicas;

  @BeforeEach
  void open() {
    store = RocksReplicaStore.open(dir, RocksStoreConfig.defaults());
    replicas = new RecoveringReplicas(store);
  }

  @AfterEach
  void close() {
    store.close();
  }

  private void write(long pid, long epoch, long gen, long block) {
    ByteBuf data = Unpooled.wrappedBuffer(new byte[B]).setByte(0, (int) gen);
    try {
      store.apply(new ExtentEpoch(pid, epoch), new Mutation(gen, epoch, block * B, B, WriteKind.WRITE, data), false);
    } finally {
      data.release();
    }
  }

  @Test
  void aKeptCopyOffersItsOwnGenAndALowerBaseWithItsLaterChanges() {
    for (long gen = 1; gen <= 40; gen++) write(1, gen <= 30 ? 2 : 3, gen, gen);
    ReplicaMeta m = replicas.ensure(1, 5, 7, 9, "test");
    assertThat(m.state()).isEqualTo(ReplicaState.RECOVERING);
    assertThat(m.gen()).as("set anew by the first forwarded write").isZero();
    assertThat(m.epoch()).isEqualTo(5);
    RecoveringReplicas.CatchUpBase base = replicas.base(1, 7);
    assertThat(base.sinceGen()).isEqualTo(40);
    assertThat(base.sinceEpoch()).isEqualTo(3);
    assertThat(base.include()).isEmpty();
    assertThat(base.lower().sinceGen()).isEqualTo(40 - RecoveringReplicas.BASE_TAIL_GENS);
    assertThat(base.lower().sinceEpoch()).isEqualTo(2);
    assertThat(base.lower().include()).hasSize(1); // blocks 25..40, merged
    assertThat(replicas.base(1, 8)).as("another attempt").isNull();

    ReplicaMeta wiped = replicas.dropBase(1, 7, 9, "test");
    assertThat(wiped.gen()).isZero();
    assertThat(replicas.base(1, 7)).isNull();
    PresentBlocks left = store.readPresentBlocks(1, 0, 64 * B, PooledByteBufAllocator.DEFAULT);
    try {
      assertThat(left.count()).as("wiped for a full copy").isZero();
    } finally {
      left.data().release();
    }
  }

  @Test
  void anUnfinishedCopyIsNoBase() {
    write(1, 2, 1, 0);
    store.putReplicaMeta(ReplicaMeta.recovering(1, 2, 4)); // another attempt's unfinished copy
    replicas.ensure(1, 5, 7, 9, "test");
    assertThat(replicas.base(1, 7)).isNull();
    assertThat(store.replica(1).orElseThrow().recoveringFor(7)).isTrue();
  }

  @Test
  void aRestartKeepsACopyMetaPromotedAndMakesTheOthersStaleWithoutAGen() {
    for (long pid = 1; pid <= 3; pid++) {
      store.putReplicaMeta(ReplicaMeta.recovering(pid, 2, 4));
      store.putReplicaMeta(store.replica(pid).orElseThrow().withGen(12));
    }
    int stale = replicas.afterRestart(9, (pid, recoveryEpoch) -> {
      if (pid == 3) throw new BasaltException(ErrorCode.UNAVAILABLE, "meta down", true);
      return pid == 1 && recoveryEpoch == 4;
    });
    assertThat(stale).isEqualTo(2);
    assertThat(store.replica(1).orElseThrow().state()).isEqualTo(ReplicaState.ACTIVE);
    assertThat(store.replica(1).orElseThrow().gen()).isEqualTo(12);
    for (long pid = 2; pid <= 3; pid++) {
      ReplicaMeta m = store.replica(pid).orElseThrow();
      assertThat(m.state()).isEqualTo(ReplicaState.STALE);
      assertThat(m.gen()).isZero();
      assertThat(m.catchUpBase()).isFalse();
    }
  }
}
