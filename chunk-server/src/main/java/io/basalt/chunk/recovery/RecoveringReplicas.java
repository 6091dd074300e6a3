package io.basalt.chunk.recovery;

import io.basalt.chunk.store.ByteRange;
import io.basalt.chunk.store.ReplicaMeta;
import io.basalt.chunk.store.ReplicaStore;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ReplicaState;
import io.basalt.rpc.BasaltException;
import io.netty.buffer.ByteBuf;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RECOVERING replicas of this chunk (it is the target of their recovery) and their dirty bitmaps: the blocks a
 * forwarded write has set since the copy started. A dirty block holds data newer than anything the copy can bring
 * (the owner read the copy no earlier than it started forwarding), so copied data never overwrites it.
 *
 * <p>A replica belongs to one recovery attempt (its recovery epoch). A copy this chunk kept from before (ACTIVE or
 * STALE with a gen: it returned after a restart or a short absence) becomes the attempt's copy as it is, the base of
 * an incremental catch-up (DESIGN.md "Recovery": only the blocks changed since its gen are copied). Anything else
 * found where an attempt needs its replica (another attempt, an unfinished copy, no bitmap because the process
 * restarted) is wiped first: a copy is only correct from empty, or from a base whose history the owner confirmed,
 * with a bitmap that saw every forwarded write.
 *
 * <p>Thread: each pid's entry only on that pid's ordered thread (the map is concurrent because pids differ).
 */
public final class RecoveringReplicas {
  private static final Logger log = LoggerFactory.getLogger(RecoveringReplicas.class);
  private static final int B = ReplicaStore.BLOCK_SIZE;

  /** How many of its last gens a returning copy may hold that the owner's history does not (an old owner's tail). */
  static final int BASE_TAIL_GENS = 16;

  /**
   * The base of an incremental catch-up: the kept copy holds the owner's history up to {@code sinceGen} (written at
   * {@code sinceEpoch} here, which the owner checks against its own), plus its own changes after it,
   * {@code include}, which the owner's history may not have: the copy needs the owner's current content of both.
   * {@code lower}: the same copy based further back, to try when the owner refuses this one (the copy's last gens
   * are another history, an old owner's unreplicated tail); null when there is none.
   */
  record CatchUpBase(long sinceGen, long sinceEpoch, List<ByteRange> include, CatchUpBase lower) {}

  /** An attempt's bitmap, and its catch-up base (null: a full copy from empty). */
  private record Dirty(long recoveryEpoch, BitSet blocks, CatchUpBase base) {}

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
    CatchUpBase base = m != null && m.catchUpBase() ? baseOf(m) : null;
    if (base != null) {
      ReplicaMeta kept = m.recoveringBase(epoch, recoveryEpoch);
      store.putReplicaMeta(kept);
      dirty.put(pid, new Dirty(recoveryEpoch, new BitSet(), base));
      log.info("replica kept as catch-up base pid={} cid={} state={} epoch={} gen={} sinceGen={} sinceEpoch={}"
          + " includeRanges={} recoveryEpoch={} via={}", pid, cid, m.state(), kept.epoch(), m.gen(), base.sinceGen(),
          base.sinceEpoch(), base.include().size(), recoveryEpoch, via);
      return kept;
    }
    return wipe(pid, m, epoch, recoveryEpoch, cid, via);
  }

  /** Deletes whatever is there and creates attempt {@code recoveryEpoch}'s empty copy with a fresh bitmap. */
  private ReplicaMeta wipe(long pid, ReplicaMeta m, long epoch, long recoveryEpoch, int cid, String via) {
    if (m != null) {
      log.info("wiping replica for recovery pid={} cid={} state={} epoch={} gen={} oldRecoveryEpoch={}"
          + " recoveryEpoch={} via={}", pid, cid, m.state(), m.epoch(), m.gen(), m.recoveryEpoch(), recoveryEpoch, via);
      store.deleteReplica(pid);
    }
    ReplicaMeta fresh = ReplicaMeta.recovering(pid, Math.max(epoch, m == null ? 0 : m.epoch()), recoveryEpoch);
    store.putReplicaMeta(fresh);
    dirty.put(pid, new Dirty(recoveryEpoch, new BitSet(), null));
    log.info("replica created RECOVERING pid={} epoch={} recoveryEpoch={} cid={} via={}", pid, fresh.epoch(),
        recoveryEpoch, cid, via);
    return fresh;
  }

  /**
   * The catch-up base a kept copy offers: its latest gen whose epoch its gen log knows (normally its own gen), and as
   * the lower base the earliest such gen among its last {@link #BASE_TAIL_GENS}, each with the changes the log
   * explains after it; null when there is none (the copy is wiped and copied whole) or an unfinished member catch-up
   * left blocks at no consistent gen.
   */
  private CatchUpBase baseOf(ReplicaMeta m) {
    long pid = m.pid();
    if (!store.partialRanges(pid).isEmpty()) return null;
    CatchUpBase lower = null;
    for (long since = Math.max(1, m.gen() - BASE_TAIL_GENS); since <= m.gen(); since++) {
      lower = baseAt(pid, since, null);
      if (lower != null) break;
    }
    if (lower == null) return null;
    for (long since = m.gen(); since > lower.sinceGen(); since--) {
      CatchUpBase latest = baseAt(pid, since, lower);
      if (latest != null) return latest;
    }
    return lower;
  }

  /** The base at gen {@code since}, when the log knows its epoch and explains every change after it. */
  private CatchUpBase baseAt(long pid, long since, CatchUpBase lower) {
    long sinceEpoch = store.genEpoch(pid, since);
    if (sinceEpoch == 0) return null;
    Optional<List<ByteRange>> own = store.changedSince(pid, since);
    return own.map(r -> new CatchUpBase(since, sinceEpoch, ByteRange.coarsen(r, ByteRange.MAX_UNPAGED), lower))
        .orElse(null);
  }

  /** The catch-up base of attempt {@code recoveryEpoch}'s copy; null for a full copy (or another attempt). */
  CatchUpBase base(long pid, long recoveryEpoch) {
    Dirty d = dirty.get(pid);
    return d != null && d.recoveryEpoch == recoveryEpoch ? d.base : null;
  }

  /**
   * The owner cannot catch the kept copy up (its log does not reach the base, or another history): the copy of
   * attempt {@code recoveryEpoch} is wiped and starts over empty, as a full copy. Pid thread.
   */
  ReplicaMeta dropBase(long pid, long recoveryEpoch, int cid, String why) {
    ReplicaMeta m = attemptCopy(pid, recoveryEpoch);
    log.info("catch-up base refused by the owner, full copy pid={} cid={} recoveryEpoch={} reason={}", pid, cid,
        recoveryEpoch, why);
    return wipe(pid, m, m.epoch(), recoveryEpoch, cid, "catch-up refused");
  }

  /** The RECOVERING replica of attempt {@code recoveryEpoch}, or NOT_READY (retryable). Pid thread. */
  private ReplicaMeta attemptCopy(long pid, long recoveryEpoch) {
    ReplicaMeta m = store.replica(pid).orElse(null);
    Dirty d = dirty.get(pid);
    if (m == null || !m.recoveringFor(recoveryEpoch) || d == null || d.recoveryEpoch != recoveryEpoch) {
      throw new BasaltException(ErrorCode.NOT_READY, "replica of pid=" + pid + " is not the RECOVERING copy of"
          + " recovery epoch=" + recoveryEpoch + " (" + (m == null ? "absent" : m.state() + " recoveryEpoch="
          + m.recoveryEpoch()) + ")", true);
    }
    return m;
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
    attemptCopy(pid, recoveryEpoch);
    BitSet set = dirty.get(pid).blocks;
    return store.writeCopiedBlocks(pid, blocks, data, index -> set.get((int) index));
  }

  /**
   * Writes one incremental catch-up page: every block of {@code covered} gets the owner's content ({@code blocks}
   * from {@code data}, the others deleted: zeros at the owner), dirty blocks skipped. As {@link #applyCopy}
   * otherwise. Pid thread.
   */
  int applyCatchUp(long pid, long recoveryEpoch, List<ByteRange> covered, long[] blocks, ByteBuf data) {
    attemptCopy(pid, recoveryEpoch);
    BitSet set = dirty.get(pid).blocks;
    return store.writeCopiedRanges(pid, covered, blocks, data, index -> set.get((int) index));
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

  /** Meta's word on a replica at start-up: whether this chunk is now a full member of it (throws when unknown). */
  @FunctionalInterface
  public interface Membership {
    boolean promotedMember(long pid, long recoveryEpoch);
  }

  /**
   * At start-up, before any pid thread runs: a RECOVERING replica's bitmap is lost with the process, so its copy can
   * never be completed. One whose attempt meta has promoted already (RecoveryDone is sent only after the copy and a
   * WAL sync, so it is complete and durable) is ACTIVE: the target came back as the member it is. Any other is
   * STALE with gen 0 (kept, never deleted here: meta's gc_pids decides; never a catch-up base). Meta unreachable:
   * STALE, the safe side. Returns how many became STALE.
   */
  public int afterRestart(int cid, Membership meta) {
    int n = 0;
    boolean metaReachable = true;
    for (ReplicaMeta m : store.replicas()) {
      if (m.state() != ReplicaState.RECOVERING) continue;
      boolean member = false;
      if (metaReachable) {
        try {
          member = meta.promotedMember(m.pid(), m.recoveryEpoch());
        } catch (RuntimeException e) {
          metaReachable = false; // one wait for an unreachable meta is enough
          log.warn("cannot ask meta about an interrupted recovery pid={} recoveryEpoch={} cid={} error={}", m.pid(),
              m.recoveryEpoch(), cid, BasaltException.of(e).getMessage());
        }
      }
      if (member) {
        store.putReplicaMeta(m.withState(ReplicaState.ACTIVE));
        log.info("recovered replica promoted before the restart is ACTIVE pid={} epoch={} gen={} recoveryEpoch={}"
            + " cid={}", m.pid(), m.epoch(), m.gen(), m.recoveryEpoch(), cid);
        continue;
      }
      store.putReplicaMeta(m.staleCopy());
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
