package io.basalt.chunk.replica;

import com.codahale.metrics.Timer;
import io.basalt.chunk.ChunkMetrics;
import io.basalt.chunk.LocalChunk;
import io.basalt.chunk.MetaExtents;
import io.basalt.chunk.owner.OwnerTable;
import io.basalt.chunk.store.ReplicaMeta;
import io.basalt.chunk.store.ReplicaStore;
import io.basalt.common.Failpoints;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.ReplicaState;
import io.basalt.proto.ReplicateRequest;
import io.basalt.proto.WriteKind;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.NotOwnerException;
import io.basalt.rpc.StaleEpochException;
import io.netty.buffer.ByteBuf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replica's side of the write path (STYLE.md Flow A step 5): applies an owner's Replicate strictly in
 * generation order and fences stale owners.
 *
 * <ul>
 *   <li>epoch below the local replica's: STALE_EPOCH (local epoch);</li>
 *   <li>unknown replica or higher epoch: adopted only after meta confirms this chunk is a member, meta's epoch is
 *       the request's and the owner is the sender, never on the peer's word alone (DESIGN.md "Write path" 3);</li>
 *   <li>gen at or below the local gen: a duplicate (owner resend), acked with the local gen, not re-applied, if
 *       this replica wrote that gen at the same epoch (see {@link #checkDuplicate});</li>
 *   <li>gen = local gen + 1: applied (WAL synced when the request asks); above that: GENERATION_GAP.</li>
 *   <li>RECOVERING replica (this chunk is meta's recovering_cid, see {@link RecoveringReplicas}): admitted like a
 *       member; the first replicate of an empty one (gen 0) sets its base (gen - 1: the owner's gen when it started
 *       forwarding), later ones are consecutive; every applied write marks its blocks dirty for the copy.</li>
 * </ul>
 *
 * <p>Thread: the pid's ordered thread. The meta confirmation blocks it; that is rare and keeps the pid's order.
 */
public final class ReplicaApplier {
  private static final Logger log = LoggerFactory.getLogger(ReplicaApplier.class);

  private final ReplicaStore store;
  private final MetaExtents meta;
  private final OwnerTable owners;
  private final LocalChunk local;
  private final ChunkMetrics metrics;
  private final Failpoints failpoints;
  private final RecoveringReplicas recovering;

  public ReplicaApplier(ReplicaStore store, MetaExtents meta, OwnerTable owners, LocalChunk local,
      ChunkMetrics metrics, Failpoints failpoints, RecoveringReplicas recovering) {
    this.failpoints = failpoints;
    this.recovering = recovering;
    this.store = store;
    this.meta = meta;
    this.owners = owners;
    this.local = local;
    this.metrics = metrics;
  }

  /** Applies (or acks as duplicate) one replicate; returns the local gen afterwards. Pid thread only. */
  public long apply(ReplicateRequest r, ByteBuf data) {
    long pid = r.getPid();
    int me = local.cid();
    ReplicaMeta m = admitEpoch(pid, r.getEpoch(), r.getOwnerCid(), "replicate");
    boolean copying = m != null && m.state() == ReplicaState.RECOVERING;
    if (copying && m.gen() == 0 && r.getGen() > 1) {
      // The first write the owner forwards to a new target: the copy brings everything up to gen - 1. The gen log
      // restarts there too, so it never claims to explain changes it does not hold.
      m = m.withGen(r.getGen() - 1);
      store.putReplicaMeta(m);
      log.info("recovering replica base set pid={} epoch={} gen={} recoveryEpoch={} cid={} ownerCid={}", pid,
          r.getEpoch(), m.gen(), m.recoveryEpoch(), me, r.getOwnerCid());
    }
    long localGen = m == null ? 0 : m.gen();
    long genEpoch = r.getGenEpoch() != 0 ? r.getGenEpoch() : r.getEpoch();
    if (r.getGen() <= localGen) {
      checkDuplicate(r, genEpoch, localGen, me);
      log.debug("duplicate replicate acked pid={} epoch={} gen={} genEpoch={} localGen={} cid={}", pid, r.getEpoch(),
          r.getGen(), genEpoch, localGen, me);
      return localGen;
    }
    if (r.getGen() > localGen + 1) {
      metrics.generationGaps().inc();
      log.warn("generation gap pid={} epoch={} gen={} localGen={} cid={} ownerCid={}", pid, r.getEpoch(),
          r.getGen(), localGen, me, r.getOwnerCid());
      throw new BasaltException(ErrorCode.GENERATION_GAP, "pid=" + pid + " have gen=" + localGen + " got gen="
          + r.getGen());
    }
    ByteBuf payload = r.getKind() == WriteKind.WRITE ? data : null;
    failpoints.inject("chunk.replica.before-apply");
    try (Timer.Context ignored = metrics.apply().time()) {
      store.apply(pid, r.getEpoch(), r.getGen(), genEpoch, r.getOffset(), r.getLength(), r.getKind(), payload,
          r.getSync());
    }
    if (copying) recovering.markDirty(pid, r.getOffset(), r.getLength());
    failpoints.inject("chunk.replica.after-apply-before-ack");
    log.debug("replica applied pid={} epoch={} gen={} cid={} offset={} length={} kind={}", pid, r.getEpoch(),
        r.getGen(), me, r.getOffset(), r.getLength(), r.getKind());
    return r.getGen();
  }

  /**
   * A gen this replica already holds is acknowledged as a duplicate (an owner's resend) only if this replica wrote it
   * at the same epoch: equal generations must mean equal contents (I2). Another epoch means two histories: when the
   * replica's is the newer one the sender is a fenced owner (STALE_EPOCH); when it is the older one this replica
   * holds a history the current owner does not (DIVERGED: the owner reports it failed and recovery replaces it). An
   * unknown epoch (the gen was set by a catch-up or a recovery base, or trimmed from the log) is not evidence either
   * way and the duplicate is acknowledged, as before gens carried their epoch.
   */
  private void checkDuplicate(ReplicateRequest r, long genEpoch, long localGen, int me) {
    long pid = r.getPid();
    long held = store.genEpoch(pid, r.getGen());
    if (held == 0 || held == genEpoch) return;
    if (held > genEpoch) {
      metrics.staleEpochRejections().inc();
      log.warn("duplicate gen from an older history refused pid={} epoch={} gen={} genEpoch={} heldGenEpoch={}"
          + " localGen={} cid={} ownerCid={}", pid, r.getEpoch(), r.getGen(), genEpoch, held, localGen, me,
          r.getOwnerCid());
      throw new StaleEpochException(held, "gen=" + r.getGen() + " written at epoch=" + genEpoch + " but this replica"
          + " holds it from epoch=" + held + " pid=" + pid + " cid=" + me);
    }
    metrics.divergedDuplicates().inc();
    log.error("replica diverged: holds gen from an older epoch than the owner's pid={} epoch={} gen={} genEpoch={}"
        + " heldGenEpoch={} localGen={} cid={} ownerCid={}", pid, r.getEpoch(), r.getGen(), genEpoch, held, localGen,
        me, r.getOwnerCid());
    throw new BasaltException(ErrorCode.DIVERGED, "pid=" + pid + " cid=" + me + " holds gen=" + r.getGen()
        + " written at epoch=" + held + ", the owner's was written at epoch=" + genEpoch);
  }

  /**
   * The epoch checks of every owner-to-replica call (Replicate and the member catch-up calls): a lower epoch than
   * the local replica's is STALE_EPOCH; an unknown replica or a higher epoch is admitted only after meta confirms
   * this chunk is a member, meta's epoch is {@code epoch} and the owner is {@code ownerCid}; then a local owner
   * below that epoch steps down and the replica adopts the epoch (synced). Returns the replica's meta afterwards,
   * null when this chunk holds no replica of {@code pid}. Pid thread only.
   */
  public ReplicaMeta admitEpoch(long pid, long epoch, int ownerCid, String op) {
    int me = local.cid();
    ReplicaMeta m = store.replica(pid).orElse(null);
    long localEpoch = m == null ? 0 : m.epoch();
    if (epoch < localEpoch) {
      metrics.staleEpochRejections().inc();
      log.debug("stale {} rejected pid={} epoch={} localEpoch={} cid={} ownerCid={}", op, pid, epoch, localEpoch, me,
          ownerCid);
      throw new StaleEpochException(localEpoch, op + " epoch=" + epoch + " below replica epoch=" + localEpoch
          + " pid=" + pid + " cid=" + me);
    }
    if (m == null || epoch > localEpoch) {
      ExtentInfo info = confirmWithMeta(pid, epoch, ownerCid, op, me);
      owners.stepDownBelow(pid, epoch, op + " from cid=" + ownerCid + " at a newer epoch");
      if (info.getRecoveringCid() == me) {
        return recovering.ensure(pid, epoch, info.getRecoveryEpoch(), me, op);
      }
      if (m != null && m.state() == ReplicaState.RECOVERING) {
        // Meta counts this chunk a full member: it promoted the copy (RecoveryDone), whose answer may not have
        // reached the task yet.
        m = recovering.promote(pid, epoch, me, op);
      }
      if (m != null) {
        m = m.withEpoch(epoch);
        store.putReplicaMeta(m);
        log.info("replica adopted epoch pid={} epoch={} previousEpoch={} gen={} cid={} ownerCid={} via={}", pid,
            epoch, localEpoch, m.gen(), me, ownerCid, op);
      }
    }
    return m;
  }

  /** Meta's extent when it confirms {@code epoch}, {@code ownerCid} and this chunk as member or recovering target. */
  private ExtentInfo confirmWithMeta(long pid, long epoch, int ownerCid, String op, int me) {
    ExtentInfo info = meta.get(pid);
    if (!info.getReplicasList().contains(me) && info.getRecoveringCid() != me) {
      metrics.staleEpochRejections().inc();
      throw new StaleEpochException(info.getEpoch(), "cid=" + me + " is not a replica of pid=" + pid
          + " at epoch=" + info.getEpoch());
    }
    if (info.getEpoch() != epoch) {
      metrics.staleEpochRejections().inc();
      throw new StaleEpochException(info.getEpoch(), op + " epoch=" + epoch + " but meta epoch="
          + info.getEpoch() + " pid=" + pid + " cid=" + me);
    }
    if (info.getOwnerCid() != ownerCid) {
      throw new NotOwnerException(info.getOwnerCid(), MetaExtents.addressOf(info, info.getOwnerCid()),
          op + " from cid=" + ownerCid + " but meta owner cid=" + info.getOwnerCid() + " pid=" + pid
              + " epoch=" + info.getEpoch());
    }
    return info;
  }
}
