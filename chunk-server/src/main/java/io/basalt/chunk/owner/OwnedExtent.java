package io.basalt.chunk.owner;

import io.basalt.chunk.core.Peer;
import io.basalt.rpc.BasaltException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This chunk's lease-owner state of one extent: the granted epoch, the extent size, the full members as meta
 * granted them (one {@link ReplicaPipe} each), the RECOVERING member if meta named one (its own pipe: it is on the
 * write path, never a full member until promoted), and the last generation assigned. A write is acknowledged only
 * once every full peer and the recovering peer have applied it.
 *
 * <p>Thread: the pid's ordered thread mutates it (lastGen, epoch, pipes); readers on other threads only look at
 * the final and volatile fields.
 */
final class OwnedExtent {
  private static final Logger log = LoggerFactory.getLogger(OwnedExtent.class);

  /** This chunk's cid. */
  final int self;
  final long pid;
  /** Bumped by meta when the membership changes under this owner (a replica removed, a target added/promoted). */
  volatile long epoch;
  /** The session the lease was granted under: the lease is valid only while that session's local lease is. */
  final long sessionEpoch;
  final long extentSize;
  /** Full members other than this chunk; parallel to {@link #pipes}. */
  volatile List<Peer> peers;
  volatile List<ReplicaPipe> pipes;
  /** The RECOVERING member's pipe, or null. */
  volatile ReplicaPipe recovering;
  /** The recovery attempt {@link #recovering} belongs to (ExtentInfo.recovery_epoch), 0 when none. */
  volatile long recoveryEpoch;
  volatile long lastGen;
  /** The highest client epoch above {@link #epoch} a refresh from meta was asked for (pid thread only). */
  long refreshAskedFor;
  /**
   * Writes applied locally but not yet acknowledged by every member, oldest first: a read that overlaps one must not
   * return before it resolves (DESIGN.md "Write path" 5). Added on the pid thread before the local apply; removed by
   * whichever thread resolves the write. Readers on other threads only iterate it.
   */
  final ConcurrentLinkedDeque<UnackedWrite> unacked = new ConcurrentLinkedDeque<>();
  /** Writes that failed (never acknowledged); counted before they leave {@link #unacked}. */
  final AtomicLong failedWrites = new AtomicLong();

  /** Writes admitted since the last group commit, in arrival order (pid thread only). */
  private ArrayList<OwnerWrite> gathered = new ArrayList<>();

  /** Adds a write to the next group commit; true when it is the first (the caller schedules the commit). */
  boolean gather(OwnerWrite w) {
    gathered.add(w);
    return gathered.size() == 1;
  }

  /** The writes of the group commit about to run; gathering starts again. */
  List<OwnerWrite> takeGathered() {
    ArrayList<OwnerWrite> out = gathered;
    gathered = new ArrayList<>(Math.max(4, out.size()));
    return out;
  }

  /** A locally applied write waiting for its acks, and the byte range it covers. */
  record UnackedWrite(long gen, long offset, long end, CompletableFuture<Long> done) {
    boolean overlaps(long from, long to) {
      return offset < to && from < end;
    }
  }

  OwnedExtent(int self, long pid, long epoch, long sessionEpoch, long extentSize, long lastGen, List<ReplicaPipe> pipes,
      ReplicaPipe recovering, long recoveryEpoch) {
    this.self = self;
    this.pid = pid;
    this.sessionEpoch = sessionEpoch;
    this.epoch = epoch;
    this.extentSize = extentSize;
    this.lastGen = lastGen;
    this.pipes = List.copyOf(pipes);
    this.peers = peersOf(this.pipes);
    this.recovering = recovering;
    this.recoveryEpoch = recovering == null ? 0 : recoveryEpoch;
  }

  /** Registers a write about to be applied locally until {@code done} resolves. Pid thread. */
  UnackedWrite track(long gen, long offset, int length, CompletableFuture<Long> done) {
    UnackedWrite u = new UnackedWrite(gen, offset, offset + length, done);
    unacked.addLast(u);
    done.whenComplete((g, err) -> {
      if (err != null) failedWrites.incrementAndGet();
      unacked.remove(u);
    });
    return u;
  }

  /** Every peer a write goes to: the full peers and the recovering one (backlog, flush). */
  List<Peer> writePeers() {
    ReplicaPipe r = recovering;
    if (r == null) return peers;
    List<Peer> out = new ArrayList<>(peers);
    out.add(r.peer());
    return out;
  }

  /** Acks a write needs besides the local apply. */
  int acksNeeded() {
    return pipes.size() + (recovering == null ? 0 : 1);
  }

  boolean holds(ReplicaPipe pipe) {
    return pipe == recovering || pipes.contains(pipe);
  }

  /** Whether {@code cid} is this owner's recovering peer for attempt {@code attempt}. */
  boolean recoveringTarget(int cid, long attempt) {
    ReplicaPipe r = recovering;
    return r != null && r.peer().cid() == cid && recoveryEpoch == attempt;
  }

  /**
   * Adopts meta's newer membership in place (pid thread): a removed peer's queue completes (its ack is needed no
   * more); the recovering peer named in {@code members} is promoted (same pipe, now a full peer); a new recovering
   * peer gets a new empty pipe from {@code newPipe} (its first write is lastGen + 1, which sets its base); a dropped
   * one is removed like a member. Returns false, changing nothing, when a full member has no pipe here (a member
   * this owner never synced: it must step down and re-sync on re-acquire).
   */
  boolean adopt(long newEpoch, List<Integer> members, Peer newRecovering, long newRecoveryEpoch,
      Function<Peer, ReplicaPipe> newPipe) {
    ReplicaPipe rec = recovering;
    for (int cid : members) {
      if (cid == self) continue;
      boolean known = pipes.stream().anyMatch(p -> p.peer().cid() == cid);
      if (!known && (rec == null || rec.peer().cid() != cid)) return false;
    }
    List<ReplicaPipe> kept = new ArrayList<>();
    for (ReplicaPipe pipe : pipes) {
      if (members.contains(pipe.peer().cid())) kept.add(pipe);
      else pipe.closeAsRemoved();
    }
    if (rec != null && members.contains(rec.peer().cid())) {
      kept.add(rec);
      log.info("recovering peer promoted to full member pid={} epoch={} cid={} peerCid={} recoveryEpoch={}"
          + " unacked={}", pid, newEpoch, self, rec.peer().cid(), recoveryEpoch, rec.pending());
      rec = null;
    }
    long recEpoch = recoveryEpoch;
    if (newRecovering != null && newRecovering.cid() != self) {
      if (rec == null || rec.peer().cid() != newRecovering.cid() || recEpoch != newRecoveryEpoch) {
        if (rec != null) rec.closeAsRemoved();
        rec = newPipe.apply(newRecovering);
        recEpoch = newRecoveryEpoch;
        log.info("owner adopted recovering peer pid={} epoch={} cid={} peerCid={} recoveryEpoch={} lastGen={}", pid,
            newEpoch, self, newRecovering.cid(), newRecoveryEpoch, lastGen);
      }
    } else if (rec != null) {
      log.info("recovering peer dropped pid={} epoch={} cid={} peerCid={} recoveryEpoch={}", pid, newEpoch, self,
          rec.peer().cid(), recEpoch);
      rec.closeAsRemoved();
      rec = null;
      recEpoch = 0;
    }
    for (ReplicaPipe p : kept) p.adoptEpoch(newEpoch);
    if (rec != null) rec.adoptEpoch(newEpoch);
    this.pipes = List.copyOf(kept);
    this.peers = peersOf(this.pipes);
    this.recovering = rec;
    this.recoveryEpoch = recEpoch;
    this.epoch = newEpoch;
    return true;
  }

  /** Fails every write not acknowledged yet: gathered ones (the caller releases their backlog), queued ones. */
  void close(BasaltException cause, PeerBacklog backlog) {
    for (OwnerWrite w : takeGathered()) {
      backlog.release(w.targets, w.bytes);
      w.fail(cause);
    }
    for (ReplicaPipe p : pipes) p.close(cause);
    ReplicaPipe r = recovering;
    if (r != null) r.close(cause);
  }

  int unacked() {
    int n = 0;
    for (ReplicaPipe p : pipes) n += p.pending();
    ReplicaPipe r = recovering;
    return r == null ? n : n + r.pending();
  }

  private static List<Peer> peersOf(List<ReplicaPipe> pipes) {
    List<Peer> out = new ArrayList<>(pipes.size());
    for (ReplicaPipe p : pipes) out.add(p.peer());
    return List.copyOf(out);
  }
}
