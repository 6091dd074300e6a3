package io.basalt.chunk.replica;

import com.codahale.metrics.Timer;
import io.basalt.chunk.core.ChunkMetrics;
import io.basalt.chunk.core.LocalChunk;
import io.basalt.chunk.core.MetaExtents;
import io.basalt.chunk.integrity.ReplicaQuarantine;
import io.basalt.chunk.integrity.ScrubDigests;
import io.basalt.chunk.recovery.RecoveringReplicas;
import io.basalt.chunk.recovery.ReplicaAdmission;
import io.basalt.chunk.store.ExtentEpoch;
import io.basalt.chunk.store.ReplicaMeta;
import io.basalt.chunk.store.ReplicaStore;
import io.basalt.failpoint.Failpoints;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.ReplicaState;
import io.basalt.proto.ReplicateRequest;
import io.basalt.proto.WriteKind;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.NotOwnerException;
import io.basalt.rpc.StaleEpochException;
import io.basalt.common.OrderedExecutor;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
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
 * <p>Thread: the pid's ordered thread (an event loop). The meta confirmation never blocks it: the pid's later calls
 * wait in {@link PidOrder} while other extents go on.
 */
public final class ReplicaApplier implements ReplicaAdmission {
  private static final Logger log = LoggerFactory.getLogger(ReplicaApplier.class);

  private final ReplicaStore store;
  private final MetaExtents meta;
  private final OwnerFence owners;
  private final LocalChunk local;
  private final ChunkMetrics metrics;
  private final Failpoints failpoints;
  private final RecoveringReplicas recovering;
  private final OrderedExecutor ordered;
  private final PidOrder order;
  private final ReplicaQuarantine quarantine;
  private final ScrubDigests scrubs;

  public ReplicaApplier(ReplicaStore store, MetaExtents meta, OwnerFence owners, LocalChunk local,
      ChunkMetrics metrics, Failpoints failpoints, RecoveringReplicas recovering, OrderedExecutor ordered,
      ReplicaQuarantine quarantine, ScrubDigests scrubs) {
    this.scrubs = scrubs;
    this.quarantine = quarantine;
    this.ordered = ordered;
    this.order = new PidOrder(ordered);
    this.failpoints = failpoints;
    this.recovering = recovering;
    this.store = store;
    this.meta = meta;
    this.owners = owners;
    this.local = local;
    this.metrics = metrics;
  }

  /**
   * Runs {@code task} (an owner call of {@code pid}) now, or after earlier calls of the pid that still wait for meta,
   * so the pid's calls keep their arrival order without blocking its thread. Pid thread.
   */
  @Override
  public <T> CompletableFuture<T> inOrder(long pid, Supplier<CompletableFuture<T>> task) {
    return order.submit(pid, task);
  }

  /**
   * Applies (or acks as duplicates) the replicates of one frame, all of one pid at one epoch, once admitted
   * ({@link #admit}): the new ones as ONE WriteBatch (the owner's group commit, mirrored), strictly in gen order;
   * returns the local gen afterwards. A gap after some new gens applies those and then fails GENERATION_GAP (the
   * owner resends from its queue head, which this replica then acks as duplicates). {@code data} holds the payloads
   * of the WRITE entries back to back. The WAL sync a FUA asks for is the caller's, off this thread. Pid thread only.
   */
  public long applyAll(List<ReplicateRequest> entries, ByteBuf data, ReplicaMeta admitted) {
    ReplicateRequest first = entries.get(0);
    long pid = first.getPid();
    int me = local.cid();
    ReplicaMeta m = admitted;
    boolean copying = m != null && m.state() == ReplicaState.RECOVERING;
    if (copying && m.gen() == 0 && first.getGen() > 1) {
      // The first write the owner forwards to a new target: the copy brings everything up to gen - 1. The gen log
      // restarts there too, so it never claims to explain changes it does not hold.
      m = m.withGen(first.getGen() - 1);
      store.putReplicaMeta(m);
      log.info("recovering replica base set pid={} epoch={} gen={} recoveryEpoch={} cid={} ownerCid={}", pid,
          first.getEpoch(), m.gen(), m.recoveryEpoch(), me, first.getOwnerCid());
    }
    long localGen = m == null ? 0 : m.gen();
    List<ReplicaStore.Mutation> writes = new ArrayList<>(entries.size());
    BasaltException gap = null;
    int at = data == null ? 0 : data.readerIndex();
    long next = localGen + 1;
    for (ReplicateRequest r : entries) {
      boolean hasData = r.getKind() == WriteKind.WRITE;
      ByteBuf payload = null;
      if (hasData) {
        if (data == null || at + r.getLength() > data.writerIndex()) {
          throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "replicate data too short pid=" + pid + " gen="
              + r.getGen());
        }
        payload = data.slice(at, r.getLength());
        at += r.getLength();
      }
      long genEpoch = r.getGenEpoch() != 0 ? r.getGenEpoch() : r.getEpoch();
      if (writes.isEmpty() && r.getGen() <= localGen) {
        checkDuplicate(r, genEpoch, localGen, me);
        if (log.isDebugEnabled()) {
          log.debug("duplicate replicate acked pid={} epoch={} gen={} genEpoch={} localGen={} cid={}", pid,
              r.getEpoch(), r.getGen(), genEpoch, localGen, me);
        }
        continue;
      }
      if (r.getGen() != next) {
        metrics.generationGaps().inc();
        log.warn("generation gap pid={} epoch={} gen={} localGen={} cid={} ownerCid={}", pid, r.getEpoch(),
            r.getGen(), next - 1, me, r.getOwnerCid());
        gap = new BasaltException(ErrorCode.GENERATION_GAP, "pid=" + pid + " have gen=" + (next - 1) + " got gen="
            + r.getGen());
        break;
      }
      writes.add(new ReplicaStore.Mutation(r.getGen(), genEpoch, r.getOffset(), r.getLength(), r.getKind(),
          payload));
      next++;
    }
    if (!writes.isEmpty()) {
      failpoints.inject("chunk.replica.before-apply");
      // A scrub waiting for a gen inside this batch needs the replica at exactly that gen: split the batch there.
      int from = 0;
      for (long stop = scrubs.waitedGen(pid); stop > localGen + from && stop < next - 1;
          stop = scrubs.waitedGen(pid)) {
        int upTo = (int) (stop - localGen);
        applyWrites(pid, first, writes.subList(from, upTo), copying);
        from = upTo;
        scrubs.reached(pid, stop);
      }
      applyWrites(pid, first, writes.subList(from, writes.size()), copying);
      if (scrubs.waitedGen(pid) != 0) scrubs.reached(pid, next - 1);
      failpoints.inject("chunk.replica.after-apply-before-ack");
      if (log.isDebugEnabled()) {
        log.debug("replica applied pid={} epoch={} gens={}..{} cid={}", pid, first.getEpoch(), localGen + 1,
            next - 1, me);
      }
    }
    if (gap != null) throw gap;
    return next - 1;
  }

  /** Applies {@code writes} (consecutive gens of one pid) as one WriteBatch; an unexpected error quarantines. */
  private void applyWrites(long pid, ReplicateRequest first, List<ReplicaStore.Mutation> writes, boolean copying) {
    if (writes.isEmpty()) return;
    try (Timer.Context ignored = metrics.apply().time()) {
      failpoints.inject("chunk.apply.throw", pid);
      store.applyAll(new ExtentEpoch(pid, first.getEpoch()), writes, false); // one per batch
    } catch (RuntimeException e) {
      if (e instanceof BasaltException) throw e;
      // A bug, not a refusal: this replica's state is in doubt. It leaves service alone; the owner's replicate
      // fails with the IO_ERROR returned, and meta hears it from both of us.
      throw quarantine.quarantine(pid, "replica apply epoch=" + first.getEpoch() + " gens="
          + writes.get(0).gen() + ".." + writes.get(writes.size() - 1).gen(), e, ReplicaQuarantine.blocksOf(writes));
    }
    if (copying) {
      for (ReplicaStore.Mutation w : writes) recovering.markDirty(pid, w.offset(), w.length());
    }
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
   * below that epoch steps down and the replica adopts the epoch (synced). Completes with the replica's meta
   * afterwards (null when this chunk holds no replica of {@code pid}), at once in the common case, else on the pid
   * thread once meta answered: the thread never waits for meta, other extents go on meanwhile (callers keep the
   * pid's order with {@link #inOrder}). Pid thread only.
   */
  @Override
  public CompletableFuture<ReplicaMeta> admit(long pid, long epoch, int ownerCid, String op) {
    ReplicaMeta m = store.replica(pid).orElse(null);
    try {
      quarantine.check(pid, op, m);
      checkNotStale(pid, epoch, ownerCid, op, m);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    if (m != null && epoch == m.epoch()) return CompletableFuture.completedFuture(m);
    CompletableFuture<ReplicaMeta> out = new CompletableFuture<>();
    metrics.metaConfirmations().inc();
    meta.getAsync(pid).whenComplete((info, err) -> ordered.execute(pid, () -> {
      if (err != null) {
        out.completeExceptionally(BasaltException.of(err));
        return;
      }
      try {
        quarantine.check(pid, op); // quarantined while meta answered
        out.complete(adopt(pid, epoch, ownerCid, op, info));
      } catch (RuntimeException e) {
        out.completeExceptionally(e);
      }
    }));
    return out;
  }

  private void checkNotStale(long pid, long epoch, int ownerCid, String op, ReplicaMeta m) {
    long localEpoch = m == null ? 0 : m.epoch();
    if (epoch < localEpoch) {
      metrics.staleEpochRejections().inc();
      log.debug("stale {} rejected pid={} epoch={} localEpoch={} cid={} ownerCid={}", op, pid, epoch, localEpoch,
          local.cid(), ownerCid);
      throw new StaleEpochException(localEpoch, op + " epoch=" + epoch + " below replica epoch=" + localEpoch
          + " pid=" + pid + " cid=" + local.cid());
    }
  }

  /** The second half of {@link #admit}, with meta's answer, on the pid thread (the replica may have moved since). */
  private ReplicaMeta adopt(long pid, long epoch, int ownerCid, String op, ExtentInfo answer) {
    int me = local.cid();
    ReplicaMeta m = store.replica(pid).orElse(null);
    checkNotStale(pid, epoch, ownerCid, op, m);
    long localEpoch = m == null ? 0 : m.epoch();
    if (m != null && epoch == localEpoch) return m;
    ExtentInfo info = confirm(answer, pid, epoch, ownerCid, op, me);
    owners.stepDownBelow(new ExtentEpoch(pid, epoch), op + " from cid=" + ownerCid + " at a newer epoch");
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
    return m;
  }

  /** Meta's extent when it confirms {@code epoch}, {@code ownerCid} and this chunk as member or recovering target. */
  private ExtentInfo confirm(ExtentInfo info, long pid, long epoch, int ownerCid, String op, int me) {
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
