package io.basalt.meta.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.basalt.proto.ExtentState;
import io.basalt.proto.PExtentRecord;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ExtentTableTest {
  @Test
  void pextentCopiesKeepOwnerSoftAndEpochDurable() {
    PExtent pe = PExtent.allocated(7, 1, 3, List.of(1, 2, 3));
    PExtent owned = pe.withOwner(2, 5).nextEpoch();
    assertThat(owned.epoch()).isEqualTo(2);
    assertThat(owned.ownerCid()).isEqualTo(2);
    PExtentRecord r = owned.toRecord();
    assertThat(PExtent.fromRecord(r)).isEqualTo(owned.withoutOwner());
    assertThatThrownBy(() -> pe.withOwner(9, 1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void tracksMapsReplicaCountsAndRemovals() {
    ExtentTable t = new ExtentTable();
    t.put(PExtent.allocated(1, 10, 0, List.of(1, 2)));
    t.put(PExtent.allocated(2, 10, 5, List.of(2, 3)));
    t.put(PExtent.allocated(3, 11, 0, List.of(1, 3)));
    assertThat(t.pidAt(10, 5)).isEqualTo(2);
    assertThat(t.pidAt(10, 1)).isZero();
    assertThat(t.replicaCount(2)).isEqualTo(2);
    assertThat(t.allocatedCount(10)).isEqualTo(2);
    assertThat(t.removeVolume(10)).extracting(PExtent::pid).containsExactlyInAnyOrder(1L, 2L);
    assertThat(t.replicaCount(2)).isZero();
    assertThat(t.replicaCount(1)).isEqualTo(1);
    assertThat(t.get(1)).isNull();
    assertThat(t.size()).isEqualTo(1);
  }

  @Test
  void buildsPagesWithPendingChanges() {
    ExtentTable t = new ExtentTable();
    t.put(PExtent.allocated(1, 10, 0, List.of(1)));
    t.put(PExtent.allocated(999, 10, 999, List.of(1)));
    t.put(PExtent.allocated(1000, 10, 1000, List.of(1)));
    PExtent added = PExtent.allocated(5, 10, 7, List.of(2));
    assertThat(t.pextentPage(0, Map.of(5L, added), Set.of(1L)).getPextentsList())
        .extracting(PExtentRecord::getPid).containsExactly(5L, 999L);
    assertThat(t.pextentPage(1, Map.of(5L, added), Set.of()).getPextentsList())
        .extracting(PExtentRecord::getPid).containsExactly(1000L);
    assertThat(t.mapPage(10, 0, Map.of(7, 5L)).getPidsMap()).containsOnlyKeys(0, 7, 999);
    assertThat(t.mapPage(10, 1, Map.of(7, 5L)).getPidsMap()).containsOnlyKeys(1000);
  }

  @Test
  void recoveryFieldsArePersistedAndStateStaysDerived() {
    PExtent pe = PExtent.allocated(7, 1, 3, List.of(1, 2, 3)).withOwner(1, 5).withoutReplica(3);
    assertThat(pe.state()).isEqualTo(ExtentState.EXTENT_DEGRADED);
    PExtent rec = pe.withRecoveryTarget(4, true);
    assertThat(rec.epoch()).isEqualTo(3);
    assertThat(rec.recoveryEpoch()).isEqualTo(3);
    assertThat(rec.state()).isEqualTo(ExtentState.EXTENT_RECOVERING);
    assertThat(PExtent.fromRecord(rec.toRecord())).isEqualTo(rec.withoutOwner());
    assertThat(rec.withoutReplica(2).state()).as("a target keeps it RECOVERING")
        .isEqualTo(ExtentState.EXTENT_RECOVERING);
    PExtent promoted = rec.promoted();
    assertThat(promoted.replicas()).containsExactly(1, 2, 4);
    assertThat(promoted.epoch()).isEqualTo(4);
    assertThat(promoted.state()).isEqualTo(ExtentState.EXTENT_HEALTHY);
    assertThat(promoted.recoveringCid()).isZero();
    PExtent dropped = rec.withoutRecoveryTarget();
    assertThat(dropped.state()).isEqualTo(ExtentState.EXTENT_DEGRADED);
    assertThat(dropped.epoch()).isEqualTo(4);
    assertThatThrownBy(() -> pe.withRecoveryTarget(2, false)).as("a member is never the target")
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void indexesRecoveryTargetsAndShortExtents() {
    ExtentTable t = new ExtentTable();
    PExtent a = PExtent.allocated(1, 10, 0, List.of(1, 2, 3)).withoutReplica(3);
    t.put(a);
    t.put(PExtent.allocated(2, 10, 1, List.of(1, 2, 3)));
    assertThat(t.shortOfReplicas()).containsExactly(1L);
    assertThat(t.recoveringOn(4)).isEmpty();
    t.put(a.withRecoveryTarget(4, false));
    assertThat(t.recoveringOn(4)).containsExactly(1L);
    t.put(t.get(1).promoted());
    assertThat(t.recoveringOn(4)).isEmpty();
    assertThat(t.shortOfReplicas()).isEmpty();
    t.put(t.get(1).withoutReplica(2).withRecoveryTarget(5, false));
    assertThat(t.recoveringOn(5)).containsExactly(1L);
    t.removeVolume(10);
    assertThat(t.recoveringOn(5)).isEmpty();
    assertThat(t.shortOfReplicas()).isEmpty();
  }
}
