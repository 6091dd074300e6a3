package io.basalt.chunk.owner;

import com.codahale.metrics.Timer;
import io.basalt.chunk.ChunkMetrics;
import io.basalt.chunk.LocalChunk;
import io.basalt.chunk.store.ReplicaStore;
import io.basalt.common.Failpoints;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ReplicateRequest;
import io.basalt.proto.WriteKind;
import io.basalt.proto.WriteRequest;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.StaleEpochException;
import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;
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

  public ExtentOwner(OwnerTable table, ReplicaStore store, PeerBacklog backlog, ChunkMetrics metrics,
      boolean syncEveryWrite, LocalChunk local, Failpoints failpoints) {
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
   * queue keeps its own retained slice). {@code deadlineNanos} ({@link System#nanoTime()} based) is when the client
   * stops waiting for this attempt: a write not applied locally by then is refused (TIMEOUT) rather than applied
   * late, after the client may have re-sent it and written the same blocks again (DESIGN.md "Write path" 5: a
   * write attempt dies with its request). Pid thread only.
   */
  public CompletableFuture<Long> write(WriteRequest req, ByteBuf data, long deadlineNanos) {
    long pid = req.getPid();
    OwnedExtent x = table.ownedIfValid(pid);
    if (x == null) {
      // Take over off this thread, then come back to it (data stays alive: the RPC server releases it after reply).
      return table.takeover(pid).thenCompose(v -> table.onPid(pid, () -> writeAsOwner(req, data, deadlineNanos)));
    }
    return write(x, req, data, deadlineNanos);
  }

  /** After a takeover: owner now, or fail (a second takeover in a row is the client's retry to ask for). */
  private CompletableFuture<Long> writeAsOwner(WriteRequest req, ByteBuf data, long deadlineNanos) {
    OwnedExtent x = table.ownedIfValid(req.getPid());
    if (x == null) {
      return CompletableFuture.failedFuture(new BasaltException(ErrorCode.NOT_OWNER, "lost the lease of pid="
          + req.getPid() + " right after taking it over", true));
    }
    return write(x, req, data, deadlineNanos);
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
    if (System.nanoTime() - deadlineNanos > 0) {
      metrics.lateWriteAttempts().inc();
      throw new BasaltException(ErrorCode.TIMEOUT, "write reached the owner after its deadline pid=" + pid
          + " epoch=" + x.epoch + ": not applied", true);
    }
  }

  private CompletableFuture<Long> write(OwnedExtent x, WriteRequest req, ByteBuf data, long deadlineNanos) {
    long pid = req.getPid();
    int cid = local.cid();
    checkRange(x, req.getOffset(), req.getLength());
    checkAttempt(x, req, deadlineNanos);
    WriteKind kind = req.getKind();
    if (x.recovering != null && RecoveryForward.mustSplit(req)) {
      return writeSplit(x, req, deadlineNanos);
    }
    ByteBuf payload = payload(pid, kind, req.getLength(), data);
    long bytes = payload == null ? 0 : req.getLength();
    java.util.List<Peer> targets = x.writePeers();
    if (!backlog.tryReserve(targets, bytes)) {
      throw new BasaltException(ErrorCode.UNAVAILABLE, "replication backlog full pid=" + pid + " epoch=" + x.epoch
          + " peers=" + targets, true);
    }
    long gen = x.lastGen + 1;
    failpoints.inject("chunk.owner.before-local-write");
    OwnerWrite w = new OwnerWrite(gen, x.acksNeeded());
    // Tracked before the apply: a read that sees this write's data must find it here (OwnerReads.settle).
    OwnedExtent.UnackedWrite tracked = x.track(gen, req.getOffset(), req.getLength(), w.future());
    try (Timer.Context ignored = metrics.apply().time()) {
      store.apply(pid, x.epoch, gen, req.getOffset(), req.getLength(), kind, payload, req.getFua() || syncEveryWrite);
    } catch (RuntimeException e) {
      x.unacked.remove(tracked); // never applied: nothing to hold reads for
      backlog.release(targets, bytes);
      if (e instanceof StaleEpochException) {
        // Our own replica was fenced at a newer epoch (another owner synced it): this lease is over.
        table.stepDown(pid, "own replica fenced: " + e.getMessage());
      }
      throw e;
    }
    x.lastGen = gen;
    failpoints.inject("chunk.owner.after-local-write");
    if (failpoints.isOn("chunk.owner.skip-replicate")) {
      // Test-only: acknowledge without replicating, the bug the checker's self-test must catch.
      backlog.release(targets, bytes);
      x.unacked.remove(tracked);
      return CompletableFuture.completedFuture(gen);
    }
    log.debug("owner applied pid={} epoch={} gen={} cid={} offset={} length={} kind={}", pid, x.epoch, gen, cid,
        req.getOffset(), req.getLength(), kind);
    ReplicateRequest r = ReplicateRequest.newBuilder().setPid(pid).setEpoch(x.epoch).setGen(gen)
        .setGenEpoch(x.epoch).setOffset(req.getOffset()).setLength(req.getLength()).setKind(kind)
        .setSync(req.getFua()).setOwnerCid(cid).build();
    for (ReplicaPipe pipe : x.pipes) {
      ByteBuf slice = payload == null ? null : payload.retainedSlice();
      pipe.enqueue(new PendingReplicate(r, slice, bytes, pipe.peer().cid(), w, backlog));
    }
    ReplicaPipe rec = x.recovering;
    if (rec != null) {
      rec.enqueue(RecoveryForward.pending(store, r, payload, bytes, rec.peer().cid(), w, backlog));
    }
    failpoints.inject("chunk.owner.after-replicate-send");
    OwnerLease lease = table.lease();
    return w.future().thenApply(g -> {
      failpoints.inject("chunk.owner.after-replicate-before-ack");
      if (!lease.valid(x.sessionEpoch)) {
        // The lease ran out while the write was replicating: a new owner may exist, so acknowledge nothing.
        metrics.acksRefusedAfterLease().inc();
        throw OwnerLease.expired(pid, x.epoch, x.sessionEpoch);
      }
      return g;
    });
  }

  /**
   * An unaligned zero/trim spanning whole blocks while a recovery runs: applied as up to three writes (head edge,
   * whole blocks, tail edge), each its own gen, so the recovering peer gets a whole-block image of each edge
   * ({@link RecoveryForward}) and the whole blocks as a plain zero/trim, never a huge image.
   */
  private CompletableFuture<Long> writeSplit(OwnedExtent x, WriteRequest req, long deadlineNanos) {
    java.util.List<CompletableFuture<Long>> parts = new java.util.ArrayList<>(3);
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
