package io.basalt.chunk.store;

/**
 * One extent at one epoch: the fencing identity an owner writes under, a replica admits and a member sync runs at.
 * Passed between the owner, replica, recovery and store components where the two travel together (group commit and
 * batch applies, catch-up pages, member sync, stepping down below a newer epoch), so they cannot be swapped with the
 * gens and offsets next to them. Built once per batch or takeover, never per 4 KiB block; the wire messages keep
 * their flat {@code pid}/{@code epoch} fields.
 *
 * <p>A plain carrier: it checks nothing, so a hostile pid or epoch from the wire is still refused where it was
 * before (the request checks and the store's argument checks, INVALID_ARGUMENT), not as an exception of its own.
 * Immutable. {@link #toString} is {@code pid=<pid> epoch=<epoch>}, the keys log lines use.
 */
public record ExtentEpoch(long pid, long epoch) {

  @Override
  public String toString() {
    return "pid=" + pid + " epoch=" + epoch;
  }
}
