package io.basalt.chunk.owner;

import io.basalt.chunk.core.Peer;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds the replicate data this owner retains, unacknowledged, per peer chunk (over all pids): a peer that is
 * down keeps writes pending until it returns, and this bound turns an unbounded backlog into UNAVAILABLE for new
 * writes. Thread-safe: reserved and released from every pid's ordered thread.
 */
public final class PeerBacklog {
  private final long limitBytes;
  private final ConcurrentHashMap<Integer, AtomicLong> retained = new ConcurrentHashMap<>();

  public PeerBacklog(long limitBytes) {
    this.limitBytes = limitBytes;
  }

  /** Reserves {@code bytes} at every peer, or nothing when any peer would go over the limit. */
  boolean tryReserve(List<Peer> peers, long bytes) {
    if (bytes == 0) return true;
    for (int i = 0; i < peers.size(); i++) {
      AtomicLong r = retained.computeIfAbsent(peers.get(i).cid(), c -> new AtomicLong());
      if (r.addAndGet(bytes) > limitBytes) {
        for (int j = 0; j <= i; j++) release(peers.get(j).cid(), bytes);
        return false;
      }
    }
    return true;
  }

  void release(List<Peer> peers, long bytes) {
    for (Peer p : peers) release(p.cid(), bytes);
  }

  void release(int cid, long bytes) {
    if (bytes == 0) return;
    AtomicLong r = retained.get(cid);
    if (r != null) r.addAndGet(-bytes); // never reserved: nothing to give back (never throw on an ack path)
  }

  /** Bytes currently retained for {@code cid}. */
  public long retained(int cid) {
    AtomicLong r = retained.get(cid);
    return r == null ? 0 : r.get();
  }
}
