package io.basalt.chunk.owner;

import com.codahale.metrics.Timer;
import io.basalt.chunk.core.ChunkMetrics;
import io.basalt.chunk.core.LocalChunk;
import io.basalt.chunk.core.Peer;
import io.basalt.chunk.integrity.ReplicaQuarantine;
import io.basalt.chunk.recovery.RecoveryForward;
import io.basalt.chunk.store.ExtentEpoch;
import io.basalt.chunk.store.ReplicaStore;
import io.basalt.common.MonotonicClock;
import io.basalt.failpoint.Failpoints;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ReplicateRequest;
import io.basalt.proto.WriteKind;
import io.basalt.proto.WriteRequest;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.NotOwnerException;
import io.basalt.rpc.StaleEpochException;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The owner's side of the write path (DESIGN.md "Write path", STYLE.md Flow A step 4): checks ownership (acquiring
 * the lease when free), assigns the next generation, applies locally, then queues the write to every other
 * replica's {@link ReplicaPipe}, the RECOVERING member's included (whole-block images of unaligned writes, see
 * {@link RecoveryForward}); the returned future completes with the gen once every one of them has acked.
 *
 * <p>Thread: every method runs on the pid's ordered thread, which is what serialises one extent's writes without
 * locks. Nothing here blocks on peers; only the local RocksDB apply (and a rare lease call to meta) blocks.
 */
public final class ExtentOwner {
  private static final Logger log = LoggerFactory.getLogger(ExtentOwner.class);

  private final OwnerTable table;
  private final ReplicaStore store;
  private final PeerBacklog backlog;
  private final ChunkMetrics metrics;
  private final boolean syncEveryWrite;
  private final LocalChunk local;
  private final Failpoints failpoints;
  private final ReplicaQuarantine quarantine;

  private final Executor io;
  private final MonotonicClock clock;

  public ExtentOwner(OwnerTable table, ReplicaStore store, PeerBacklog backlog, ChunkMetrics metrics,
      boolean syncEveryWrite, LocalChunk local, Failpoints failpoints, Executor io, MonotonicClock clock,
      ReplicaQuarantine quarantine) {
    this.quarantine = quarantine;
    this.clock = clock;
    this.io = io;
    this.failpoints = failpoints;
    this.table = table;
    this.store = store;
    this.backlog = backlog;
    this.metrics = metrics;
    this.syncEveryWrite = syncEveryWrite;
    this.local = local;
  }

  /**
   * Applies and replicates one client write. {@code data} is the request payload (not released here; each peer
   * queue keeps its own retained slice). {@code deadlineNanos} (on the chunk's {@link MonotonicClock}) is when the
   * client stops waiting for this attempt: a write not applied locally by then is refused (TIMEOUT) rather than applied
   * late, after the client may have re-sent it and written the same blocks again (DESIGN.md "Write path" 5: a
   * write attempt dies with its request). Pid thread only.
   */
  public CompletableFuture<Long> write(WriteRequest req, ByteBuf data, long deadlineNanos) {
    // After a takeover (off this thread) data is still alive: the RPC server releases it after the reply.
    return table.asOwner(req.getPid(), x -> write(x, req, data, deadlineNanos));
  }

  /**
   * The checks that keep a stale attempt from landing (DESIGN.md "Write path" 5): a write sent at an extent epoch
   * older than this owner's was sent before the lease or the membership moved, possibly by a client that has
   * re-sent and overwritten it since, so it is refused with STALE_EPOCH (a live client refreshes and re-sends; a
   * cancelled attempt is never re-sent). A newer epoch only means this owner has not heard of a membership change
   * yet: it re-reads the extent and goes on. Epoch 0 is a caller that does not know the epoch (admin tools).
   */
  private void checkAttempt(OwnedExtent x, WriteRequest req, long deadlineNanos) {
    long pid = req.getPid();
    if (req.getEpoch() != 0 && req.getEpoch() < x.epoch) {
      metrics.staleWriteAttempts().inc();
      throw new StaleEpochException(x.epoch, "write sent at epoch=" + req.getEpoch() + " but the owner is at epoch="
          + x.epoch + " pid=" + pid + ": re-read the extent and re-send");
    }
    if (req.getEpoch() > x.epoch && req.getEpoch() > x.refreshAskedFor) {
      x.refreshAskedFor = req.getEpoch(); // once per epoch, not once per write
      table.refreshLater(pid);
    }
    if (clock.nanoTime() - deadlineNanos > 0) {
      metrics.lateWriteAttempts().inc();
      throw new BasaltException(ErrorCode.TIMEOUT, "write reached the owner after its deadline pid=" + pid
          + " epoch=" + x.epoch + ": not applied", true);
    }
  }

  /**
   * Admits one write into the extent's next group commit: checked and its backlog share reserved now, applied with
   * the other writes that arrive before the commit runs (those read from the same socket read, at least), then
   * replicated (see {@link #commit}).
   */
  private CompletableFuture<Long> write(OwnedExtent x, WriteRequest req, ByteBuf data, long deadlineNanos) {
    long pid = req.getPid();
    checkRange(x, req.getOffset(), req.getLength());
    checkAttempt(x, req, deadlineNanos);
    WriteKind kind = req.getKind();
    if (x.recovering != null && RecoveryForward.mustSplit(req)) {
      return writeSplit(x, req, deadlineNanos);
    }
    ByteBuf payload = payload(pid, kind, req.getLength(), data);
    long bytes = payload == null ? 0 : req.getLength();
    List<Peer> targets = x.writePeers();
    if (!backlog.tryReserve(targets, bytes)) {
      throw new BasaltException(ErrorCode.UNAVAILABLE, "replication backlog full pid=" + pid + " epoch=" + x.epoch
          + " peers=" + targets, true);
    }
    OwnerWrite w = new OwnerWrite(req, payload, bytes, targets);
    if (x.gather(w)) table.pipes().afterRound(pid, () -> commit(x));
    return w.future();
  }

  /**
   * The group commit (DESIGN.md "Write path" 2): the gathered writes get consecutive gens, are applied locally as
   * ONE WriteBatch and queued to every peer, whose pipe sends them as one ReplicateBatch. A FUA write also waits for
   * a WAL sync on the io pool: the loop never waits for the disk. Pid thread.
   */
  private void commit(OwnedExtent x) {
    List<OwnerWrite> group = x.takeGathered();
    if (group.isEmpty()) return;
    long pid = x.pid;
    if (table.get(pid) != x) {
      fail(x, group, new BasaltException(ErrorCode.NOT_OWNER, "stepped down as owner of pid=" + pid, true));
      return;
    }
    if (x.recovering != null && group.size() > 1) {
      // The recovering peer gets whole-block images read back after each apply: one write per commit.
      for (OwnerWrite w : group) commit(x, List.of(w));
      return;
    }
    commit(x, group);
  }

  private void commit(OwnedExtent x, List<OwnerWrite> group) {
    long pid = x.pid;
    int cid = local.cid();
    try {
      failpoints.inject("chunk.owner.before-local-write");
    } catch (RuntimeException e) {
      fail(x, group, BasaltException.of(e));
      return;
    }
    OwnerLease lease = table.lease();
    int peersAcks = x.acksNeeded();
    boolean sync = false;
    List<ReplicaStore.Mutation> mutations = new ArrayList<>(group.size());
    List<OwnedExtent.UnackedWrite> tracked = new ArrayList<>(group.size());
    long gen = x.lastGen;
    ExtentEpoch at = new ExtentEpoch(pid, x.epoch); // one per group commit, shared by its writes
    for (OwnerWrite w : group) {
      WriteRequest req = w.request;
      gen++;
      boolean fua = req.getFua() || syncEveryWrite;
      sync |= fua;
      w.assign(gen, peersAcks + 1 + (fua ? 1 : 0), lease, at, x.sessionEpoch, failpoints,
          metrics.acksRefusedAfterLease());
      // Tracked before the apply: a read that sees this write's data must find it here (OwnerReads.settle).
      tracked.add(x.track(gen, req.getOffset(), req.getLength(), w.future()));
      mutations.add(new ReplicaStore.Mutation(gen, at.epoch(), req.getOffset(), req.getLength(), req.getKind(),
          w.payload));
    }
    try (Timer.Context ignored = metrics.apply().time()) {
      failpoints.inject("chunk.apply.throw", pid);
      store.applyAll(at, mutations, false);
    } catch (RuntimeException e) {
      for (OwnedExtent.UnackedWrite t : tracked) x.unacked.remove(t); // never applied: nothing to hold reads for
      if (!(e instanceof BasaltException)) {
        // A bug, not a refusal: our replica's state is in doubt. Quarantine it (this extent only), give the lease
        // up, and let the client retry at another member; nothing of the group was acknowledged anywhere.
        quarantine.quarantine(pid, "owner apply epoch=" + x.epoch + " gen=" + (x.lastGen + 1), e,
            ReplicaQuarantine.blocksOf(mutations));
        fail(x, group, new NotOwnerException(0, "", "replica of pid=" + pid + " quarantined on cid=" + cid
            + ": retry at another member"));
        table.stepDown(pid, "own replica quarantined");
        return;
      }
      BasaltException cause = BasaltException.of(e);
      if (cause.code() == ErrorCode.NO_SPACE) {
        // Disk full (TESTPLAN F16): nothing of the group was applied here or sent to a member, so nothing is
        // acknowledged. The lease goes and the replica is reported for replacement: the client retries at another
        // member (NOT_OWNER is retryable), which replicates without us once meta took us out.
        fail(x, group, new NotOwnerException(0, "", "disk full on cid=" + cid + " pid=" + pid
            + ": retry at another member (" + cause.getMessage() + ")"));
        table.stepDown(pid, "disk full, own replica cannot take writes");
        quarantine.reportForReplacement(pid, x.epoch, "disk full on cid=" + cid + ": " + cause.getMessage());
        return;
      }
      fail(x, group, cause);
      if (e instanceof StaleEpochException) {
        // Our own replica was fenced at a newer epoch (another owner synced it): this lease is over.
        table.stepDown(pid, "own replica fenced: " + e.getMessage());
      }
      return;
    }
    metrics.commitBatch().update(group.size());
    x.lastGen = gen;
    if (failpoints.isOn("chunk.owner.skip-replicate")) {
      // Test-only: acknowledge without replicating, the bug the checker's self-test must catch.
      for (OwnerWrite w : group) {
        backlog.release(w.targets, w.bytes);
        for (int i = 0; i < peersAcks + 1; i++) w.acked();
      }
      if (sync) syncThenAck(pid, group);
      return;
    }
    try {
      failpoints.inject("chunk.owner.after-local-write");
    } catch (RuntimeException e) {
      fail(x, group, BasaltException.of(e));
      return;
    }
    for (OwnerWrite w : group) {
      WriteRequest req = w.request;
      if (log.isDebugEnabled()) {
        log.debug("owner applied pid={} epoch={} gen={} cid={} offset={} length={} kind={}", pid, x.epoch, w.gen(),
            cid, req.getOffset(), req.getLength(), req.getKind());
      }
      ReplicateRequest r = ReplicateRequest.newBuilder().setPid(pid).setEpoch(x.epoch).setGen(w.gen())
          .setGenEpoch(x.epoch).setOffset(req.getOffset()).setLength(req.getLength()).setKind(req.getKind())
          .setSync(req.getFua()).setOwnerCid(cid).build();
      w.acked(); // the local apply
      // The membership may have changed since the write reserved its backlog share (a peer added or removed
      // between its arrival and this commit): a peer it reserved nothing at gets a share of 0, and a reserved
      // share of a peer no longer on the write path goes back now.
      List<Peer> unused = new ArrayList<>(w.targets);
      for (ReplicaPipe pipe : x.pipes) {
        ByteBuf slice = w.payload == null ? null : w.payload.retainedSlice();
        pipe.enqueue(new PendingReplicate(r, slice, share(w, pipe, unused), pipe.peer().cid(), w, backlog));
      }
      ReplicaPipe rec = x.recovering;
      if (rec != null) {
        long recShare = share(w, rec, unused);
        RecoveryForward.Forward f = RecoveryForward.forward(store, r, w.payload);
        rec.enqueue(new PendingReplicate(f.request(), f.data(), recShare, rec.peer().cid(), w, backlog));
      }
      backlog.release(unused, w.bytes);
    }
    if (sync) syncThenAck(pid, group);
    try {
      failpoints.inject("chunk.owner.after-replicate-send");
    } catch (RuntimeException e) {
      log.warn("failpoint after-replicate-send pid={} error={}", pid, e.toString());
    }
  }

  /** The local WAL sync of a FUA (or sync-every-write) write, off the loop; its ack comes back on the pid thread. */
  private void syncThenAck(long pid, List<OwnerWrite> group) {
    try {
      io.execute(() -> {
        BasaltException err = null;
        try {
          store.syncWal();
        } catch (RuntimeException e) {
          // Never retried here: the store is failed now and this chunk gives its leases up. The write was applied
          // on every member, so the client re-sends it to another member, whose FUA syncs a store that works.
          err = new NotOwnerException(0, "", "WAL sync failed on cid=" + local.cid() + " pid=" + pid
              + ": retry at another member (" + BasaltException.of(e).getMessage() + ")");
        }
        BasaltException failure = err;
        table.pipes().hop(pid, () -> {
          for (OwnerWrite w : group) {
            if (!(w.request.getFua() || syncEveryWrite)) continue;
            if (failure != null) w.fail(failure);
            else w.acked();
          }
        });
      });
    } catch (RejectedExecutionException e) {
      BasaltException down = new BasaltException(ErrorCode.UNAVAILABLE, "chunk server shutting down", true);
      for (OwnerWrite w : group) w.fail(down);
    }
  }

  /** The backlog share {@code w} reserved at {@code pipe}'s peer (removed from {@code unused}), else 0. */
  private static long share(OwnerWrite w, ReplicaPipe pipe, List<Peer> unused) {
    for (int i = 0; i < unused.size(); i++) {
      if (unused.get(i).cid() == pipe.peer().cid()) {
        unused.remove(i);
        return w.bytes;
      }
    }
    return 0;
  }

  /** Fails writes that were never applied: their backlog shares go back. */
  private void fail(OwnedExtent x, List<OwnerWrite> group, BasaltException cause) {
    for (OwnerWrite w : group) {
      backlog.release(w.targets, w.bytes);
      w.fail(cause);
    }
  }

  /**
   * An unaligned zero/trim spanning whole blocks while a recovery runs: applied as up to three writes (head edge,
   * whole blocks, tail edge), each its own gen, so the recovering peer gets a whole-block image of each edge
   * ({@link RecoveryForward}) and the whole blocks as a plain zero/trim, never a huge image.
   */
  private CompletableFuture<Long> writeSplit(OwnedExtent x, WriteRequest req, long deadlineNanos) {
    List<CompletableFuture<Long>> parts = new ArrayList<>(3);
    for (WriteRequest part : RecoveryForward.split(req)) parts.add(write(x, part, null, deadlineNanos));
    CompletableFuture<Long> last = parts.get(parts.size() - 1);
    return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenCompose(v -> last);
  }

  static void checkRange(OwnedExtent x, long offset, int length) {
    // offset > size - length, not offset + length > size: the sum of hostile values can wrap
    boolean bad = offset < 0 || length < 0 || (x.extentSize > 0 && offset > x.extentSize - length);
    if (bad) {
      throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "range outside extent pid=" + x.pid + " offset="
          + offset + " length=" + Integer.toUnsignedString(length) + " extentSize=" + x.extentSize);
    }
  }

  private static ByteBuf payload(long pid, WriteKind kind, int length, ByteBuf data) {
    switch (kind) {
      case WRITE -> {
        if (data == null || data.readableBytes() != length) {
          throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "write length=" + length + " but data="
              + (data == null ? 0 : data.readableBytes()) + " bytes pid=" + pid);
        }
        return data;
      }
      case WRITE_ZEROES, TRIM -> {
        return null;
      }
      default -> throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "unsupported write kind " + kind + " pid="
          + pid);
    }
  }
}
