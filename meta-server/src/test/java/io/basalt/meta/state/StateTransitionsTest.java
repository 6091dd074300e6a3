package io.basalt.meta.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.basalt.proto.ChunkStatus;
import io.basalt.proto.ExtentState;
import java.util.List;
import org.junit.jupiter.api.Test;

class StateTransitionsTest {

  @Test
  void extentMovesOfTodaysPathsPass() {
    PExtent healthy = PExtent.allocated(7, 1, 0, List.of(1, 2, 3));
    PExtent degraded = healthy.withoutReplica(3);
    assertThat(degraded.state()).isEqualTo(ExtentState.EXTENT_DEGRADED);
    PExtent recovering = degraded.withRecoveryTarget(4, true);
    assertThat(recovering.state()).isEqualTo(ExtentState.EXTENT_RECOVERING);
    assertThat(recovering.promoted().state()).isEqualTo(ExtentState.EXTENT_HEALTHY);
    assertThat(recovering.withoutRecoveryTarget().state()).isEqualTo(ExtentState.EXTENT_DEGRADED);
    assertThat(recovering.withoutReplica(2).state()).isEqualTo(ExtentState.EXTENT_RECOVERING);
    // the ticker marks an extent whose other members are all gone DEGRADED; a later grant clears it
    PExtent marked = healthy.withState(ExtentState.EXTENT_DEGRADED);
    assertThat(marked.clearedRecovery().state()).isEqualTo(ExtentState.EXTENT_HEALTHY);
    assertThat(healthy.withState(ExtentState.EXTENT_HEALTHY)).as("staying is legal").isEqualTo(healthy);
  }

  @Test
  void extentIllegalMoveIsRefusedNamingPidFromAndTo() {
    PExtent healthy = PExtent.allocated(7, 1, 0, List.of(1, 2, 3));
    assertThatThrownBy(() -> healthy.withRecoveryTarget(4, false)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("pid=7").hasMessageContaining("from=EXTENT_HEALTHY")
        .hasMessageContaining("to=EXTENT_RECOVERING");
    assertThatThrownBy(() -> healthy.withState(ExtentState.EXTENT_STATE_UNSPECIFIED))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void chunkMovesOfTodaysPathsPass() {
    Chunk healthy = new Chunk(3, "h:1", "z", "", 100, 0, ChunkStatus.HEALTHY, 0, 5);
    Chunk expired = healthy.withStatus(ChunkStatus.SESSION_EXPIRED);
    assertThat(expired.withStatus(ChunkStatus.HEALTHY).status()).isEqualTo(ChunkStatus.HEALTHY);
    assertThat(expired.withRegistration("h:2", "z", "", 100, 0, 9).status()).isEqualTo(ChunkStatus.HEALTHY);
    Chunk removed = new Chunk(3, "h:1", "z", "", 100, 0, ChunkStatus.REMOVED, 0, 5);
    assertThat(removed.withRegistration("h:2", "z", "", 100, 0, 9).status()).as("registration keeps REMOVED")
        .isEqualTo(ChunkStatus.REMOVED);
    assertThat(removed.withStatus(ChunkStatus.SESSION_EXPIRED).status()).isEqualTo(ChunkStatus.SESSION_EXPIRED);
  }

  @Test
  void chunkIllegalMoveIsRefusedNamingCidFromAndTo() {
    Chunk healthy = new Chunk(3, "h:1", "z", "", 100, 0, ChunkStatus.HEALTHY, 0, 5);
    assertThatThrownBy(() -> healthy.withStatus(ChunkStatus.REMOVED)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cid=3").hasMessageContaining("from=HEALTHY").hasMessageContaining("to=REMOVED");
    Chunk removed = new Chunk(3, "h:1", "z", "", 100, 0, ChunkStatus.REMOVED, 0, 5);
    assertThatThrownBy(() -> removed.withStatus(ChunkStatus.HEALTHY)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("from=REMOVED").hasMessageContaining("to=HEALTHY");
  }

  @Test
  void anUnsetStateMayMoveButNeverBeEntered() {
    assertThat(StateTransitions.extent(1, ExtentState.EXTENT_STATE_UNSPECIFIED, ExtentState.EXTENT_DEGRADED))
        .isEqualTo(ExtentState.EXTENT_DEGRADED);
    assertThat(StateTransitions.chunk(1, ChunkStatus.CHUNK_STATUS_UNSPECIFIED, ChunkStatus.SESSION_EXPIRED))
        .isEqualTo(ChunkStatus.SESSION_EXPIRED);
    assertThatThrownBy(() -> StateTransitions.chunk(1, ChunkStatus.HEALTHY, ChunkStatus.CHUNK_STATUS_UNSPECIFIED))
        .isInstanceOf(IllegalStateException.class);
  }
}
