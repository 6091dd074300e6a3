package io.basalt.chunk.store;

import io.basalt.proto.ReplicaState;

/**
 * Durable per-replica metadata (the {@code extents} column family): the highest epoch this replica has accepted,
 * the generation of the last applied write (0 = nothing applied), its state, and the recovery attempt it was
 * created by ({@code recoveryEpoch}, 0 = none): a RECOVERING replica belongs to exactly one attempt, and a replica
 * promoted from it keeps the number so a late restart of that attempt is recognised as already finished.
 */
public record ReplicaMeta(long pid, long epoch, long gen, ReplicaState state, long recoveryEpoch) {
  public ReplicaMeta {
    if (pid <= 0) throw new IllegalArgumentException("pid must be > 0: " + pid);
    if (epoch < 0 || gen < 0 || recoveryEpoch < 0) {
      throw new IllegalArgumentException("negative epoch/gen/recoveryEpoch pid=" + pid);
    }
    if (state == null) throw new IllegalArgumentException("state null pid=" + pid);
  }

  public ReplicaMeta(long pid, long epoch, long gen, ReplicaState state) {
    this(pid, epoch, gen, state, 0);
  }

  /** A fresh, empty replica being recovered by attempt {@code recoveryEpoch}. */
  public static ReplicaMeta recovering(long pid, long epoch, long recoveryEpoch) {
    return new ReplicaMeta(pid, epoch, 0, ReplicaState.RECOVERING, recoveryEpoch);
  }

  /** Whether this replica is the (unfinished) copy of recovery attempt {@code attempt}. */
  public boolean recoveringFor(long attempt) {
    return state == ReplicaState.RECOVERING && recoveryEpoch == attempt;
  }

  public ReplicaMeta withEpoch(long newEpoch) {
    return new ReplicaMeta(pid, newEpoch, gen, state, recoveryEpoch);
  }

  public ReplicaMeta withGen(long newGen) {
    return new ReplicaMeta(pid, epoch, newGen, state, recoveryEpoch);
  }

  /**
   * This replica STALE (removed from the membership, or its copy interrupted). An unfinished copy (RECOVERING) also
   * loses its gen: the blocks it holds are part old, part copied, and match no generation, so it must never be
   * offered or taken as the base of an incremental catch-up.
   */
  public ReplicaMeta staleCopy() {
    ReplicaMeta stale = withState(ReplicaState.STALE);
    return state == ReplicaState.RECOVERING ? stale.withGen(0) : stale;
  }

  /**
   * Whether this copy can be the base of an incremental catch-up (with its store holding no unfinished member
   * catch-up, {@link ReplicaStore#partialRanges}): a member's or a removed member's copy with a generation.
   */
  public boolean catchUpBase() {
    return (state == ReplicaState.ACTIVE || state == ReplicaState.STALE) && gen > 0;
  }

  /**
   * This replica as the RECOVERING copy of attempt {@code attempt} at {@code atEpoch}, keeping its blocks (the base
   * of an incremental catch-up) with gen 0: its generation is set anew when the owner's first forwarded write
   * arrives, as for an empty copy.
   */
  public ReplicaMeta recoveringBase(long atEpoch, long attempt) {
    ReplicaTransitions.check(pid, state, ReplicaState.RECOVERING);
    return new ReplicaMeta(pid, Math.max(epoch, atEpoch), 0, ReplicaState.RECOVERING, attempt);
  }

  /** This replica in {@code newState}; a move outside {@link ReplicaTransitions} is refused (IllegalStateException). */
  public ReplicaMeta withState(ReplicaState newState) {
    ReplicaTransitions.check(pid, state, newState);
    return new ReplicaMeta(pid, epoch, gen, newState, recoveryEpoch);
  }
}
