package io.basalt.chunk.recovery;

import io.basalt.chunk.store.ReplicaMeta;
import io.basalt.chunk.store.ReplicaStore;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ReplicaState;
import io.basalt.rpc.BasaltException;
import io.netty.buffer.ByteBuf;
import java.util.BitSet;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RECOVERING replicas of this chunk (it is the target of their recovery) and their dirty bitmaps: the blocks a
 * forwarded write has set since the copy started. A dirty block holds data newer than anything the copy can bring
 * (the owner read the copy no earlier than it started forwarding), so copied data never overwrites it.
 *
 * <p>A replica belongs to one recovery attempt (its recovery epoch). Anything else found where an attempt needs its
 * replica (another state, another attempt, no bitmap because the process restarted) is wiped first: a copy is only
 * correct from empty with a bitmap that saw every forwarded write.
 *
 * <p>Thread: each pid's entry only on that pid's ordered thread (the map is concurrent because pids differ).
 */
public final class RecoveringReplicas {
  private static final Logger log = LoggerFactory.getLogger(RecoveringReplicas.class);
  private static final int B = ReplicaStore.BLOCK_SIZE;

  private record Dirty(long recoveryEpoch, BitSet blocks) {}

  private final ReplicaStore store;
  private final Map<Long, Dirty> dirty = new ConcurrentHashMap<>();

  public RecoveringReplicas(ReplicaStore store) {
    this.store = store;
  }

  /**
   * Makes the local replica of {@code pid} the RECOVERING copy of attempt {@code recoveryEpoch} at (at least)
   * {@code epoch}: kept when it already is one with its bitmap, else wiped and created empty (gen 0) with a fresh
   * bitmap. A replica already promoted from this very attempt (ACTIVE, same recovery epoch) is kept as it is.
   * Returns the replica's meta afterwards. Pid thread.
   */
  public ReplicaMeta ensure(long pid, long epoch, long recoveryEpoch, int cid, String via) {
    ReplicaMeta m = store.replica(pid).orElse(null);
    if (m != null && m.state() == ReplicaState.ACTIVE && m.recoveryEpoch() == recoveryEpoch) return m;
    Dirty d = dirty.get(pid);
    if (m != null && m.recoveringFor(recoveryEpoch) && d != null && d.recoveryEpoch == recoveryEpoch) {
      if (epoch > m.epoch()) {
        m = m.withEpoch(epoch);
        store.putReplicaMeta(m);
      }
      return m;
    }
    if (m != null) {
      log.info("wiping replica for recovery pid={} cid={} state={} epoch={} gen={} oldRecoveryEpoch={}"
          + " recoveryEpoch={} via={}", pid, cid, m.state(), m.epoch(), m.gen(), m.recoveryEpoch(), recoveryEpoch, via);
      store.deleteReplica(pid);
    }
    ReplicaMeta fresh = ReplicaMeta.recovering(pid, Math.max(epoch, m == null ? 0 : m.epoch()), recoveryEpoch);
    store.putReplicaMeta(fresh);
    dirty.put(pid, new Dirty(recoveryEpoch, new BitSet()));
    log.info("replica created RECOVERING pid={} epoch={} recoveryEpoch={} cid={} via={}", pid, fresh.epoch(),
        recoveryEpoch, cid, via);
    return fresh;
  }

  /** A forwarded write applied to a RECOVERING replica: its blocks are newer than any copy. Pid thread. */
  public void markDirty(long pid, long offset, long length) {
    Dirty d = dirty.get(pid);
    if (d == null || length <= 0) return;
    d.blocks.set((int) (offset / B), (int) ((offset + length + B - 1) / B));
  }

  /**
   * Writes one copied batch (blocks and their 4 KiB each, back to back) into the RECOVERING replica of attempt
   * {@code recoveryEpoch}, skipping dirty blocks; returns the blocks written. NOT_READY (retryable) when the
   * replica is no longer that attempt's copy. Pid thread.
   */
  public int applyCopy(long pid, long recoveryEpoch, long[] blocks, ByteBuf data) {
    ReplicaMeta m = store.replica(pid).orElse(null);
    Dirty d = dirty.get(pid);
    if (m == null || !m.recoveringFor(recoveryEpoch) || d == null || d.recoveryEpoch != recoveryEpoch) {
      throw new BasaltException(ErrorCode.NOT_READY, "replica of pid=" + pid + " is not the RECOVERING copy of"
          + " recovery epoch=" + recoveryEpoch + " (" + (m == null ? "absent" : m.state() + " recoveryEpoch="
          + m.recoveryEpoch()) + ")", true);
    }
    BitSet set = d.blocks;
    return store.writeCopiedBlocks(pid, blocks, data, index -> set.get((int) index));
  }

  /**
   * Meta promoted this chunk (RecoveryDone answered at {@code epoch}, or a member-confirmed replicate): the copy is
   * complete, the replica becomes ACTIVE and its bitmap goes. No-op unless it is the RECOVERING copy. The replica's
   * epoch stays: it adopts the promotion epoch when the owner's first replicate at it arrives (confirmed with meta,
   * as always). Adopting it here would refuse the owner's writes at the epoch before, STALE_EPOCH, deposing the
   * owner, until its next refresh: the promotion must not fence the owner that is still valid. Pid thread.
   */
  public ReplicaMeta promote(long pid, long epoch, int cid, String via) {
    ReplicaMeta m = store.replica(pid).orElse(null);
    dirty.remove(pid);
    if (m == null || m.state() != ReplicaState.RECOVERING) return m;
    ReplicaMeta active = m.withState(ReplicaState.ACTIVE);
    store.putReplicaMeta(active);
    log.info("recovered replica is ACTIVE pid={} epoch={} promotedEpoch={} gen={} recoveryEpoch={} cid={} via={}",
        pid, active.epoch(), epoch, active.gen(), active.recoveryEpoch(), cid, via);
    return active;
  }

  /**
   * At start-up, before any pid thread runs: a RECOVERING replica's copy is incomplete and its dirty bitmap is lost
   * with the process, so it can never be completed; it is marked STALE (kept, never deleted here: meta's gc_pids
   * decides). Returns how many.
   */
  public int staleAfterRestart(int cid) {
    int n = 0;
    for (ReplicaMeta m : store.replicas()) {
      if (m.state() != ReplicaState.RECOVERING) continue;
      store.putReplicaMeta(m.withState(ReplicaState.STALE));
      log.info("interrupted recovery: replica marked STALE pid={} epoch={} gen={} recoveryEpoch={} cid={}", m.pid(),
          m.epoch(), m.gen(), m.recoveryEpoch(), cid);
      n++;
    }
    return n;
  }

  /** Whether a block of {@code pid} is dirty (tests). Pid thread. */
  public boolean isDirty(long pid, long block) {
    Dirty d = dirty.get(pid);
    return d != null && d.blocks.get((int) block);
  }
}
