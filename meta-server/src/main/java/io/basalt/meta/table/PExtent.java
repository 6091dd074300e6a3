package io.basalt.meta.table;

import io.basalt.proto.ExtentState;
import io.basalt.proto.PExtentRecord;
import java.util.List;
import java.util.Objects;

/**
 * A physical extent: its replicas (ordered cids), epoch (bumped and persisted on every membership or lease-owner
 * change) and soft lease owner ({@code ownerCid} under session epoch {@code ownerSession}, 0 = none; never
 * persisted: a new leader learns owners again from its followers' keepalives during its grace). Immutable; change
 * through the copy methods.
 */
public record PExtent(long pid, long vid, int index, List<Integer> replicas, long epoch, int expectedReplicas,
    ExtentState state, int ownerCid, long ownerSession) {
  public PExtent {
    replicas = List.copyOf(replicas);
    Objects.requireNonNull(state, "state");
    if (pid <= 0 || epoch < 0 || index < 0) {
      throw new IllegalArgumentException("bad pextent pid=" + pid + " epoch=" + epoch + " index=" + index);
    }
    if (ownerCid != 0 && !replicas.contains(ownerCid)) {
      throw new IllegalArgumentException("owner cid=" + ownerCid + " is not a replica of pid=" + pid);
    }
  }

  /** A freshly allocated extent: epoch 1, healthy, no owner. */
  public static PExtent allocated(long pid, long vid, int index, List<Integer> replicas) {
    return new PExtent(pid, vid, index, replicas, 1, replicas.size(), ExtentState.EXTENT_HEALTHY, 0, 0);
  }

  public static PExtent fromRecord(PExtentRecord r) {
    return new PExtent(r.getPid(), r.getVid(), r.getIndex(), r.getReplicasList(), r.getEpoch(),
        r.getExpectedReplicas(), r.getState(), 0, 0);
  }

  /** The durable part (everything but the owner). */
  public PExtentRecord toRecord() {
    return PExtentRecord.newBuilder().setPid(pid).setVid(vid).setIndex(index).addAllReplicas(replicas)
        .setEpoch(epoch).setExpectedReplicas(expectedReplicas).setState(state).build();
  }

  /** Owned by {@code cid} under session epoch {@code session}; {@code withOwner(0, 0)} releases the lease. */
  public PExtent withOwner(int cid, long session) {
    return new PExtent(pid, vid, index, replicas, epoch, expectedReplicas, state, cid, cid == 0 ? 0 : session);
  }

  /** Released lease (no owner). */
  public PExtent withoutOwner() {
    return withOwner(0, 0);
  }

  public PExtent nextEpoch() {
    return new PExtent(pid, vid, index, replicas, epoch + 1, expectedReplicas, state, ownerCid, ownerSession);
  }

  /** {@code cid} leaves the membership (epoch + 1, DEGRADED); its lease goes with it. */
  public PExtent withoutReplica(int cid) {
    List<Integer> left = new java.util.ArrayList<>(replicas);
    left.remove(Integer.valueOf(cid));
    int owner = ownerCid == cid ? 0 : ownerCid;
    return new PExtent(pid, vid, index, left, epoch + 1, expectedReplicas, ExtentState.EXTENT_DEGRADED, owner,
        owner == 0 ? 0 : ownerSession);
  }

  public PExtent withState(ExtentState next) {
    return new PExtent(pid, vid, index, replicas, epoch, expectedReplicas, next, ownerCid, ownerSession);
  }

  public boolean hasReplica(int cid) {
    return replicas.contains(cid);
  }

  public boolean hasOwner() {
    return ownerCid != 0;
  }
}
