package io.basalt.meta.table;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
}
