package io.basalt.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.proto.ExtentInfo;
import io.basalt.proto.ReplicaStatusResponse;
import java.util.ArrayList;
import java.util.List;

/** Cross-replica checks through the chunks' admin call (DESIGN.md: the check that finds silent divergence). */
public final class ClusterAsserts {
  private ClusterAsserts() {}

  /**
   * Every allocated extent of {@code volume} has {@code replicas} replicas, each present with the same generation
   * and the same hash of its blocks. Returns the number of extents checked.
   */
  public static int assertReplicasIdentical(ClusterView cluster, String volume, int replicas) {
    List<ExtentInfo> extents = cluster.extents(volume);
    for (ExtentInfo e : extents) {
      assertThat(e.getReplicasCount()).as("replica count of pid=%d", e.getPid()).isEqualTo(replicas);
      List<ReplicaStatusResponse> statuses = new ArrayList<>();
      for (String address : e.getReplicaAddressesList()) {
        statuses.add(cluster.replicaStatus(address, e.getPid()));
      }
      ReplicaStatusResponse first = statuses.get(0);
      for (ReplicaStatusResponse s : statuses) {
        String what = String.format("volume=%s index=%d pid=%d replicas=%s statuses=%s", volume, e.getIndex(),
            e.getPid(), e.getReplicasList(), statuses);
        assertThat(s.getExists()).as("replica exists: %s", what).isTrue();
        assertThat(s.getGen()).as("generation: %s", what).isEqualTo(first.getGen()).isPositive();
        assertThat(s.getHash()).as("hash: %s", what).isEqualTo(first.getHash());
      }
    }
    return extents.size();
  }
}
