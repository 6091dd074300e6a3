package io.basalt.it.cluster;

import io.basalt.proto.ExtentInfo;
import io.basalt.proto.ReplicaStatusResponse;
import java.util.List;

/**
 * What the checkers need from a running cluster, in-JVM ({@link MiniCluster}) or as processes: the extent map,
 * and each replica's generation, hash and bytes read directly from its chunk (bypassing the lease owner).
 */
public interface ClusterView {
  /** Allocated extents of {@code volume} with replicas, replica addresses, epoch and owner. */
  List<ExtentInfo> extents(String volume);

  /** Generation and block hash of {@code pid}'s replica on the chunk at {@code chunkAddress}. */
  ReplicaStatusResponse replicaStatus(String chunkAddress, long pid);

  /**
   * Bytes {@code [offset, offset + length)} of {@code pid} as stored on the chunk at {@code chunkAddress}
   * (test-only admin call: the chunk must run in test mode); zeros where nothing is stored.
   */
  byte[] readReplica(String chunkAddress, long pid, long offset, int length);
}
