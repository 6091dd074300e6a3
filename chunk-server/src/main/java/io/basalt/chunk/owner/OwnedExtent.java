package io.basalt.chunk.owner;

import io.basalt.rpc.BasaltException;
import java.util.List;

/**
 * This chunk's lease-owner state of one extent: the granted epoch, the extent size, the membership as meta
 * granted it, the last generation assigned, and one {@link ReplicaPipe} per other replica.
 * Thread: the pid's ordered thread mutates it ({@code lastGen}, epoch, peers, pipes); readers on other threads only
 * look at the final and volatile fields.
 */
final class OwnedExtent {
  /** This chunk's cid. */
  final int self;
  final long pid;
  /** Bumped by meta when the membership changes under this owner (a replica removed). */
  volatile long epoch;
  /** The session the lease was granted under: the lease is valid only while that session's local lease is. */
  final long sessionEpoch;
  final long extentSize;
  volatile List<Peer> peers;
  volatile List<ReplicaPipe> pipes;
  volatile long lastGen;

  OwnedExtent(int self, long pid, long epoch, long sessionEpoch, long extentSize, long lastGen, List<Peer> peers,
      List<ReplicaPipe> pipes) {
    this.self = self;
    this.pid = pid;
    this.sessionEpoch = sessionEpoch;
    this.epoch = epoch;
    this.extentSize = extentSize;
    this.lastGen = lastGen;
    this.peers = List.copyOf(peers);
    this.pipes = List.copyOf(pipes);
  }

  /**
   * Meta removed members (epoch + 1) while this chunk stayed owner: writes waiting for a removed member need its
   * ack no more (an acknowledged write must be on every current member), and new writes carry the new epoch.
   * Returns false when members were added (a recovery target: the owner steps down and re-syncs on re-acquire).
   */
  boolean shrinkTo(long newEpoch, List<Integer> members) {
    java.util.Set<Integer> known = new java.util.HashSet<>();
    peers.forEach(p -> known.add(p.cid()));
    for (int cid : members) {
      if (!known.contains(cid) && cid != self) return false;
    }
    List<Peer> keptPeers = new java.util.ArrayList<>();
    List<ReplicaPipe> keptPipes = new java.util.ArrayList<>();
    for (ReplicaPipe pipe : pipes) {
      if (members.contains(pipe.peer().cid())) {
        keptPeers.add(pipe.peer());
        keptPipes.add(pipe);
      } else {
        pipe.closeAsRemoved();
      }
    }
    this.peers = List.copyOf(keptPeers);
    this.pipes = List.copyOf(keptPipes);
    this.epoch = newEpoch;
    return true;
  }

  void close(BasaltException cause) {
    for (ReplicaPipe p : pipes) p.close(cause);
  }

  int unacked() {
    int n = 0;
    for (ReplicaPipe p : pipes) n += p.pending();
    return n;
  }
}
