package io.basalt.meta.state;

import io.basalt.proto.ExtentState;
import io.basalt.proto.PExtentRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A physical extent: its replicas (ordered cids), epoch (bumped and persisted on every membership or lease-owner
 * change) and soft lease owner ({@code ownerCid} under session epoch {@code ownerSession}, 0 = none; never
 * persisted: a new leader learns owners again from its followers' keepalives during its grace). Immutable; change
 * through the copy methods.
 *
 * <p>Recovery (DESIGN.md "Recovery"): at most one RECOVERING member, {@code recoveringCid}, added at
 * {@code recoveryEpoch}. It is not in {@code replicas}: never counted live, never owner, never a copy source, but on
 * the write path. {@code recoveryBound} turns true at the first lease grant after the target was added (or at once
 * when a live owner existed then); any later grant drops the target, since a new owner's history may differ from
 * what the target copied. The copy methods keep {@code state} derived: RECOVERING with a target, else DEGRADED when
 * short of {@code expectedReplicas}, else HEALTHY; every state change is checked by {@link StateTransitions}.
 */
public record PExtent(long pid, long vid, int index, List<Integer> replicas, long epoch, int expectedReplicas,
    ExtentState state, int ownerCid, long ownerSession, int recoveringCid, long recoveryEpoch,
    boolean recoveryBound) {
  public PExtent {
    replicas = List.copyOf(replicas);
    Objects.requireNonNull(state, "state");
    if (pid <= 0 || epoch < 0 || index < 0) {
      throw new IllegalArgumentException("bad pextent pid=" + pid + " epoch=" + epoch + " index=" + index);
    }
    if (ownerCid != 0 && !replicas.contains(ownerCid)) {
      throw new IllegalArgumentException("owner cid=" + ownerCid + " is not a replica of pid=" + pid);
    }
    if (recoveringCid < 0 || (recoveringCid != 0 && replicas.contains(recoveringCid))) {
      throw new IllegalArgumentException("recovering cid=" + recoveringCid + " is a full replica of pid=" + pid);
    }
    if (recoveringCid == 0) {
      recoveryEpoch = 0;
      recoveryBound = false;
    } else if (recoveryEpoch <= 0 || recoveryEpoch > epoch) {
      throw new IllegalArgumentException("bad recovery epoch=" + recoveryEpoch + " pid=" + pid + " epoch=" + epoch);
    }
  }

  /** Without recovery fields (no RECOVERING member). */
  public PExtent(long pid, long vid, int index, List<Integer> replicas, long epoch, int expectedReplicas,
      ExtentState state, int ownerCid, long ownerSession) {
    this(pid, vid, index, replicas, epoch, expectedReplicas, state, ownerCid, ownerSession, 0, 0, false);
  }

  /** A freshly allocated extent: epoch 1, healthy, no owner. */
  public static PExtent allocated(long pid, long vid, int index, List<Integer> replicas) {
    return new PExtent(pid, vid, index, replicas, 1, replicas.size(), ExtentState.EXTENT_HEALTHY, 0, 0);
  }

  public static PExtent fromRecord(PExtentRecord r) {
    return new PExtent(r.getPid(), r.getVid(), r.getIndex(), r.getReplicasList(), r.getEpoch(),
        r.getExpectedReplicas(), r.getState(), 0, 0, r.getRecoveringCid(), r.getRecoveryEpoch(),
        r.getRecoveryBound());
  }

  /** The durable part (everything but the owner). */
  public PExtentRecord toRecord() {
    return PExtentRecord.newBuilder().setPid(pid).setVid(vid).setIndex(index).addAllReplicas(replicas)
        .setEpoch(epoch).setExpectedReplicas(expectedReplicas).setState(state).setRecoveringCid(recoveringCid)
        .setRecoveryEpoch(recoveryEpoch).setRecoveryBound(recoveryBound).build();
  }

  /** Owned by {@code cid} under session epoch {@code session}; {@code withOwner(0, 0)} releases the lease. */
  public PExtent withOwner(int cid, long session) {
    return new PExtent(pid, vid, index, replicas, epoch, expectedReplicas, state, cid, cid == 0 ? 0 : session,
        recoveringCid, recoveryEpoch, recoveryBound);
  }

  /** Released lease (no owner). */
  public PExtent withoutOwner() {
    return withOwner(0, 0);
  }

  public PExtent nextEpoch() {
    return new PExtent(pid, vid, index, replicas, epoch + 1, expectedReplicas, state, ownerCid, ownerSession,
        recoveringCid, recoveryEpoch, recoveryBound);
  }

  /** {@code cid} leaves the membership (epoch + 1, state derived); its lease goes with it; a target stays. */
  public PExtent withoutReplica(int cid) {
    List<Integer> left = new ArrayList<>(replicas);
    left.remove(Integer.valueOf(cid));
    int owner = ownerCid == cid ? 0 : ownerCid;
    return new PExtent(pid, vid, index, left, epoch + 1, expectedReplicas,
        moveTo(derivedState(left.size(), expectedReplicas, recoveringCid)), owner, owner == 0 ? 0 : ownerSession,
        recoveringCid, recoveryEpoch, recoveryBound);
  }

  /** In state {@code next}; refuses a move {@link StateTransitions} does not allow. */
  public PExtent withState(ExtentState next) {
    return new PExtent(pid, vid, index, replicas, epoch, expectedReplicas, moveTo(next), ownerCid, ownerSession,
        recoveringCid, recoveryEpoch, recoveryBound);
  }

  /** {@code target} becomes the RECOVERING member: epoch + 1, recovery epoch = that new epoch. */
  public PExtent withRecoveryTarget(int target, boolean bound) {
    if (target <= 0) {
      throw new IllegalArgumentException("bad recovery target cid=" + target + " pid=" + pid);
    }
    return new PExtent(pid, vid, index, replicas, epoch + 1, expectedReplicas, moveTo(ExtentState.EXTENT_RECOVERING),
        ownerCid, ownerSession, target, epoch + 1, bound);
  }

  /** The recovery is bound to the owner being granted now (no epoch change: the grant bumps it). */
  public PExtent withRecoveryBound() {
    return new PExtent(pid, vid, index, replicas, epoch, expectedReplicas, state, ownerCid, ownerSession,
        recoveringCid, recoveryEpoch, recoveringCid != 0);
  }

  /** The target leaves without an epoch change (for a mutation that bumps the epoch anyway, a lease grant). */
  public PExtent clearedRecovery() {
    return new PExtent(pid, vid, index, replicas, epoch, expectedReplicas,
        moveTo(derivedState(replicas.size(), expectedReplicas, 0)), ownerCid, ownerSession, 0, 0, false);
  }

  /** The target leaves: epoch + 1, DEGRADED (or HEALTHY when not short). */
  public PExtent withoutRecoveryTarget() {
    return clearedRecovery().nextEpoch();
  }

  /** The target becomes a full member (appended to replicas): epoch + 1, HEALTHY (DEGRADED when still short). */
  public PExtent promoted() {
    if (recoveringCid == 0) {
      throw new IllegalStateException("pid=" + pid + " has no recovering member to promote");
    }
    List<Integer> members = new ArrayList<>(replicas);
    members.add(recoveringCid);
    return new PExtent(pid, vid, index, members, epoch + 1, expectedReplicas,
        moveTo(derivedState(members.size(), expectedReplicas, 0)), ownerCid, ownerSession, 0, 0, false);
  }

  public boolean hasReplica(int cid) {
    return replicas.contains(cid);
  }

  public boolean hasOwner() {
    return ownerCid != 0;
  }

  public boolean recovering() {
    return recoveringCid != 0;
  }

  /** Fewer full members than expected. */
  public boolean shortOfReplicas() {
    return replicas.size() < expectedReplicas;
  }

  /** Where the recovery copies from (for per-chunk accounting): the owner, else the first replica, else 0. */
  public int copySource(boolean ownerAlive) {
    if (ownerAlive && ownerCid != 0) {
      return ownerCid;
    }
    return replicas.isEmpty() ? 0 : replicas.get(0);
  }

  private ExtentState moveTo(ExtentState next) {
    return StateTransitions.extent(pid, state, next);
  }

  static ExtentState derivedState(int members, int expected, int recoveringCid) {
    if (recoveringCid != 0) {
      return ExtentState.EXTENT_RECOVERING;
    }
    return members < expected ? ExtentState.EXTENT_DEGRADED : ExtentState.EXTENT_HEALTHY;
  }
}
