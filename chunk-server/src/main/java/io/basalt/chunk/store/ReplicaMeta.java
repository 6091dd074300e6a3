package io.basalt.chunk.store;

import io.basalt.proto.ReplicaState;

/**
 * Durable per-replica metadata (the {@code extents} column family): the highest epoch this replica has accepted
 * and the generation of the last applied write (0 = nothing applied).
 */
public record ReplicaMeta(long pid, long epoch, long gen, ReplicaState state) {
  public ReplicaMeta {
    if (pid <= 0) throw new IllegalArgumentException("pid must be > 0: " + pid);
    if (epoch < 0 || gen < 0) throw new IllegalArgumentException("negative epoch/gen pid=" + pid);
    if (state == null) throw new IllegalArgumentException("state null pid=" + pid);
  }

  public ReplicaMeta withEpoch(long newEpoch) {
    return new ReplicaMeta(pid, newEpoch, gen, state);
  }

  public ReplicaMeta withGen(long newGen) {
    return new ReplicaMeta(pid, epoch, newGen, state);
  }

  public ReplicaMeta withState(ReplicaState newState) {
    return new ReplicaMeta(pid, epoch, gen, newState);
  }
}
