package io.basalt.chunk.owner;

import io.basalt.rpc.BasaltException;
import java.util.List;

/**
 * This chunk's lease-owner state of one extent: the granted epoch, the extent size, the membership as meta
 * granted it, the last generation assigned, and one {@link ReplicaPipe} per other replica.
 * Thread: the pid's ordered thread mutates it ({@code lastGen}, pipes); readers on other threads only look at the
 * final fields and the volatile {@code lastGen}.
 */
final class OwnedExtent {
  final long pid;
  final long epoch;
  final long extentSize;
  final List<Peer> peers;
  final List<ReplicaPipe> pipes;
  volatile long lastGen;

  OwnedExtent(long pid, long epoch, long extentSize, long lastGen, List<Peer> peers, List<ReplicaPipe> pipes) {
    this.pid = pid;
    this.epoch = epoch;
    this.extentSize = extentSize;
    this.lastGen = lastGen;
    this.peers = List.copyOf(peers);
    this.pipes = List.copyOf(pipes);
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
