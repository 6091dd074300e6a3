package io.basalt.chunk.recovery;

import io.basalt.chunk.core.MetaExtents;
import io.basalt.chunk.store.ByteRange;
import io.basalt.chunk.store.ReplicaMeta;
import io.basalt.chunk.store.ReplicaStore;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.FetchBlocksRequest;
import io.basalt.proto.FetchBlocksResponse;
import io.basalt.proto.RecoveryDoneRequest;
import io.basalt.proto.RecoveryProgress;
import io.basalt.proto.ReplicaState;
import io.basalt.proto.WriteKind;
import io.basalt.proto.WriteRequest;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.Frame;
import io.basalt.rpc.RetryPolicy;
import io.basalt.rpc.Retryability;
import io.netty.buffer.ByteBuf;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One recovery this chunk is the target of (DESIGN.md "Recovery"): copies the extent from its owner while the owner
 * forwards new writes, then asks meta to promote it.
 *
 * <ol>
 *   <li>meta must still name this chunk the target at this recovery epoch; then, on the pid thread, the local
 *       replica becomes this attempt's RECOVERING copy with a fresh dirty bitmap: a copy kept from before is the
 *       base of an incremental catch-up, anything else there is wiped;</li>
 *   <li>with a base, every FetchBlocks names it ({@code since_gen}) and the owner sends only the blocks changed
 *       since, page by page ({@link CatchUpPages}); when the owner cannot (its log does not reach back, another
 *       history) the copy is wiped and copied whole from offset 0;</li>
 *   <li>loop: FetchBlocks (one batch) from the owner (the next one asked for as soon as this one is here, so the
 *       source reads it while this chunk applies), rate permits for its bytes, failpoint
 *       {@code chunk.recovery.copy-batch}, apply on the pid thread skipping dirty blocks; on any failure re-read the
 *       extent, stop if the attempt is gone, else back off and retry from the same cursor;</li>
 *   <li>a barrier write (an empty WRITE_ZEROES through the owner): acknowledged only once this chunk applied it,
 *       so every write forwarded before is applied here and the replica's gen is based even if nothing was
 *       written during the copy; then the WAL is synced and RecoveryDone sent (retried until answered);</li>
 *   <li>meta's answer -> the replica is ACTIVE at the answered epoch (pid thread).</li>
 * </ol>
 *
 * <p>Thread: its own recovery pool thread, which may wait on pid threads and peers (never the other way round).
 * Progress fields are volatile, read by the keepalive thread.
 */
final class RecoveryTask implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(RecoveryTask.class);
  private static final int B = ReplicaStore.BLOCK_SIZE;
  private static final long RATE_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(2);

  /** The task ended (for the runner). */
  interface Ended {
    void ended(RecoveryTask task, boolean promoted);
  }

  private final RecoveryContext ctx;
  final long pid;
  final long recoveryEpoch;
  private final long extentSize;
  private final Ended ended;
  private final CountDownLatch stop = new CountDownLatch(1);
  private volatile boolean cancelled;
  private volatile boolean finishing;
  private volatile String state = "waiting for owner";
  private volatile long cursor;
  private volatile long bytesCopied;
  private volatile int sourceCid;
  private volatile long rate;
  private long windowStart;
  private long windowBytes;
  /** The next batch, asked for before this one was applied (task thread only); null when none. */
  private CompletableFuture<Frame> prefetched;
  private Source prefetchedFrom;
  private long prefetchedOffset;
  /** The kept copy's catch-up base (task thread); null: a full copy. */
  private RecoveringReplicas.CatchUpBase base;

  RecoveryTask(RecoveryContext ctx, long pid, long recoveryEpoch, long extentSize, Ended ended) {
    this.ctx = ctx;
    this.pid = pid;
    this.recoveryEpoch = recoveryEpoch;
    this.extentSize = extentSize;
    this.ended = ended;
    this.windowStart = ctx.clock().nanoTime();
  }

  /** Stops the copy (meta no longer lists it). Ignored once RecoveryDone is being sent: meta's answer decides. */
  void cancel(String why) {
    if (finishing || cancelled) return;
    cancelled = true;
    state = "cancelled: " + why;
    stop.countDown();
  }

  /** Stops at once, whatever the phase (the chunk is closing). */
  void abort() {
    cancelled = true;
    finishing = false;
    stop.countDown();
  }

  boolean finishing() {
    return finishing;
  }

  RecoveryProgress progress() {
    return RecoveryProgress.newBuilder().setPid(pid).setRecoveryEpoch(recoveryEpoch).setBytesDone(cursor)
        .setBytesTotal(extentSize).setBytesPerSec(rate).setSourceCid(sourceCid).setState(state)
        .setBytesCopied(bytesCopied).build();
  }

  @Override
  public void run() {
    boolean promoted = false;
    int cid = ctx.local().cid();
    try {
      log.info("recovery started pid={} recoveryEpoch={} cid={} extentSize={}", pid, recoveryEpoch, cid, extentSize);
      ExtentInfo info = awaitTarget(cid);
      if (info != null && prepare(info, cid) && copy(info, cid)) {
        promoted = finish(cid);
      }
    } catch (Cancelled c) {
      log.info("recovery cancelled pid={} recoveryEpoch={} cid={} bytesDone={} state={}", pid, recoveryEpoch, cid,
          cursor, state);
    } catch (RuntimeException e) {
      state = "failed: " + e.getMessage();
      log.warn("recovery failed pid={} recoveryEpoch={} cid={} bytesDone={} error={}", pid, recoveryEpoch, cid,
          cursor, e.toString());
    } finally {
      dropPrefetched();
      ended.ended(this, promoted);
    }
  }

  /** Meta's extent while this chunk is its target at this recovery epoch; null (task over) otherwise. */
  private ExtentInfo awaitTarget(int cid) {
    for (int failures = 1; ; failures++) {
      checkCancelled();
      try {
        ExtentInfo info = ctx.meta().get(pid);
        if (info.getRecoveringCid() != cid || info.getRecoveryEpoch() != recoveryEpoch) {
          state = "failed: no longer the target";
          log.info("recovery stops: meta no longer names this chunk target pid={} recoveryEpoch={} cid={}"
              + " recoveringCid={} metaRecoveryEpoch={} epoch={}", pid, recoveryEpoch, cid, info.getRecoveringCid(),
              info.getRecoveryEpoch(), info.getEpoch());
          return null;
        }
        return info;
      } catch (BasaltException e) {
        if (!Retryability.isRetryable(e)) throw e;
        state = "waiting for meta: " + e.getMessage();
        backoff(failures);
      }
    }
  }

  /** On the pid thread: this attempt's RECOVERING replica exists; false when it was promoted already. */
  private boolean prepare(ExtentInfo info, int cid) {
    ReplicaMeta m = onPid(() -> ctx.replicas().ensure(pid, info.getEpoch(), recoveryEpoch, cid, "recovery task"));
    if (m.state() == ReplicaState.ACTIVE) {
      log.info("recovery already promoted pid={} recoveryEpoch={} cid={} epoch={}", pid, recoveryEpoch, cid,
          m.epoch());
      return false;
    }
    base = onPid(() -> ctx.replicas().base(pid, recoveryEpoch));
    return true;
  }

  /** The copy loop; true when it reached the end of the extent. */
  private boolean copy(ExtentInfo first, int cid) {
    ExtentInfo info = first;
    int failures = 0;
    while (cursor < extentSize) {
      checkCancelled();
      try {
        if (failures > 0) {
          boolean intact = stillRecovering();
          if (!prepare(info, cid)) return false;
          if (!intact) {
            log.info("recovery restarts from zero: local copy was replaced pid={} recoveryEpoch={} cid={}", pid,
                recoveryEpoch, cid);
            cursor = 0; // wiped meanwhile (with its bitmap): start over
          }
        }
        long next = batch(info);
        cursor = next;
        state = base != null ? "catching up" : "copying";
        if (failures > 0) {
          log.info("recovery copy resumed pid={} recoveryEpoch={} cid={} bytesDone={} afterFailures={}", pid,
              recoveryEpoch, cid, cursor, failures);
        }
        failures = 0;
      } catch (Cancelled c) {
        throw c;
      } catch (RuntimeException e) {
        dropPrefetched(); // retried from the same cursor, maybe elsewhere: ask again then
        failures++;
        BasaltException b = BasaltException.of(e);
        state = "retrying: " + b.getMessage();
        if (failures == 1 || failures % 20 == 0) {
          log.warn("recovery batch failed pid={} recoveryEpoch={} cid={} sourceCid={} bytesDone={} failures={}"
              + " error={}", pid, recoveryEpoch, cid, sourceCid, cursor, failures, b.getMessage());
        }
        info = awaitTarget(cid);
        if (info == null) return false;
        backoff(failures);
      }
    }
    return true;
  }

  /** Whether the local replica is still this attempt's copy (pid thread). */
  private boolean stillRecovering() {
    return onPid(() -> ctx.store().replica(pid).map(m -> m.recoveringFor(recoveryEpoch)).orElse(false));
  }

  /**
   * One FetchBlocks + apply; returns the next cursor. Pipelined one deep: as soon as a batch's answer is here, the
   * next batch is asked for (same source, its next offset), so the source reads and sends batch N + 1 while this
   * chunk waits for rate permits and applies batch N. Safe because nothing about the next batch depends on this
   * one's apply: the owner checks each FetchBlocks on its own, and a copied block that a forwarded write made newer
   * is skipped whenever it arrives (the dirty bitmap).
   */
  private long batch(ExtentInfo info) {
    Source src = source(info);
    sourceCid = src.cid;
    CompletableFuture<Frame> pending = takePrefetched(src, cursor);
    if (pending == null) pending = fetch(src, cursor);
    Frame f = await(pending, "fetch blocks from cid=" + src.cid);
    try {
      FetchBlocksResponse r = f.header().getFetchBlocksResponse();
      if (r.getFullCopyNeeded()) return fullCopyNeeded(src);
      long[] blocks = new long[r.getBlocksCount()];
      for (int i = 0; i < blocks.length; i++) blocks[i] = r.getBlocks(i);
      int bytes = f.data().readableBytes();
      if (bytes != blocks.length * B || (r.getNextOffset() <= cursor && !r.getDone())) {
        throw new BasaltException(ErrorCode.INTERNAL, "bad fetch blocks answer pid=" + pid + " blocks="
            + blocks.length + " bytes=" + bytes + " nextOffset=" + r.getNextOffset() + " cursor=" + cursor, true);
      }
      if (!r.getDone() && r.getNextOffset() < extentSize) prefetch(src, r.getNextOffset());
      if (bytes > 0) ctx.throttle().acquire(bytes, r.getSourceBusy());
      ctx.failpoints().inject("chunk.recovery.copy-batch");
      checkCancelled();
      // The pid task holds its own reference: if waiting for it times out, the frame is released under it here.
      ByteBuf data = f.data().retain();
      CompletableFuture<Integer> apply;
      try {
        List<ByteRange> covered = base == null ? null
            : ByteRange.fromProto("fetch blocks ranges", pid, r.getRangesList(), Integer.MAX_VALUE);
        apply = ctx.ordered().submit(pid, () -> {
          try {
            return covered == null ? ctx.replicas().applyCopy(pid, recoveryEpoch, blocks, data)
                : ctx.replicas().applyCatchUp(pid, recoveryEpoch, covered, blocks, data);
          } finally {
            data.release();
          }
        });
      } catch (RuntimeException e) {
        data.release(); // the pid threads are gone (closing)
        throw e;
      }
      int written = await(apply, "pid thread");
      ctx.metrics().recoveryBytes().mark(bytes);
      bytesCopied += bytes;
      countRate(bytes);
      log.debug("recovery batch applied pid={} recoveryEpoch={} offset={} nextOffset={} blocks={} written={}", pid,
          recoveryEpoch, cursor, r.getNextOffset(), blocks.length, written);
      return r.getDone() ? extentSize : r.getNextOffset();
    } finally {
      f.release();
    }
  }

  /**
   * The owner cannot catch the kept copy up from its base: the lower base is tried next, and without one the copy is
   * wiped (same attempt, fresh bitmap) and copied whole. Either way from offset 0, which is returned as the next
   * cursor (pages already applied hold the owner's content and are harmless to apply again).
   */
  private long fullCopyNeeded(Source src) {
    if (base == null) {
      throw new BasaltException(ErrorCode.INTERNAL, "cid=" + src.cid + " answered full_copy_needed to a full copy"
          + " pid=" + pid, true);
    }
    dropPrefetched();
    if (base.lower() != null) {
      log.info("catch-up base refused, trying the lower one pid={} recoveryEpoch={} sourceCid={} sinceGen={}"
          + " lowerSinceGen={}", pid, recoveryEpoch, src.cid, base.sinceGen(), base.lower().sinceGen());
      base = base.lower();
      return 0;
    }
    int cid = ctx.local().cid();
    onPid(() -> ctx.replicas().dropBase(pid, recoveryEpoch, cid, "owner cid=" + src.cid + " refused since_gen="
        + base.sinceGen()));
    base = null;
    return 0;
  }

  private CompletableFuture<Frame> fetch(Source src, long offset) {
    FetchBlocksRequest.Builder req = FetchBlocksRequest.newBuilder().setPid(pid).setRecoveryEpoch(recoveryEpoch)
        .setTargetCid(ctx.local().cid()).setOffset(offset).setMaxBytes(ctx.batchBytes());
    RecoveringReplicas.CatchUpBase b = base;
    if (b != null) {
      req.setSinceGen(b.sinceGen()).setSinceGenEpoch(b.sinceEpoch());
      b.include().forEach(range -> req.addInclude(range.toProto()));
    }
    return ctx.rpc().client(src.address).call(Envelope.newBuilder().setFetchBlocks(req), null, ctx.callTimeout());
  }

  /** Asks for the batch at {@code offset} now; {@link #batch} takes it if it still wants that batch from there. */
  private void prefetch(Source src, long offset) {
    dropPrefetched();
    prefetched = fetch(src, offset);
    prefetchedFrom = src;
    prefetchedOffset = offset;
  }

  /** The prefetched answer for {@code offset} from {@code src}, or null (anything else prefetched is dropped). */
  private CompletableFuture<Frame> takePrefetched(Source src, long offset) {
    CompletableFuture<Frame> p = prefetched;
    if (p != null && src.equals(prefetchedFrom) && offset == prefetchedOffset) {
      prefetched = null;
      return p;
    }
    dropPrefetched();
    return null;
  }

  /** Gives up a prefetched batch: its frame is released whether it is here already or arrives later. */
  private void dropPrefetched() {
    CompletableFuture<Frame> p = prefetched;
    prefetched = null;
    if (p != null && !p.cancel(false)) {
      p.thenAccept(Frame::release); // already answered: release here (a cancelled call's reply the client releases)
    }
  }

  /** Barrier write, WAL sync, RecoveryDone until answered; true when promoted. */
  private boolean finish(int cid) {
    state = "caught up";
    for (int failures = 1; ; failures++) {
      checkCancelled();
      try {
        ExtentInfo info = awaitTarget(cid);
        if (info == null) return false;
        barrier(info);
        break;
      } catch (Cancelled c) {
        throw c;
      } catch (RuntimeException e) {
        state = "caught up, barrier failing: " + BasaltException.of(e).getMessage();
        if (failures == 1 || failures % 20 == 0) {
          log.warn("recovery barrier write failed pid={} recoveryEpoch={} cid={} failures={} error={}", pid,
              recoveryEpoch, cid, failures, BasaltException.of(e).getMessage());
        }
        backoff(failures);
      }
    }
    finishing = true;
    ctx.store().syncWal();
    RecoveryDoneRequest req = RecoveryDoneRequest.newBuilder().setPid(pid).setRecoveryEpoch(recoveryEpoch)
        .setCid(cid).setBytesCopied(bytesCopied).build();
    for (int failures = 1; ; failures++) {
      checkCancelled();
      try {
        ExtentInfo info = await(ctx.meta().recoveryDone(req), "recovery done");
        onPid(() -> ctx.replicas().promote(pid, info.getEpoch(), cid, "recovery done"));
        if (base != null) ctx.metrics().recoveryCatchUps().inc();
        state = "done";
        log.info("recovery done pid={} recoveryEpoch={} epoch={} cid={} bytesCopied={} incremental={} replicas={}",
            pid, recoveryEpoch, info.getEpoch(), cid, bytesCopied, base != null, info.getReplicasList());
        return true;
      } catch (Cancelled c) {
        throw c;
      } catch (RuntimeException e) {
        BasaltException b = BasaltException.of(e);
        if (b.code() == ErrorCode.STALE_EPOCH || b.code() == ErrorCode.NO_SUCH_EXTENT
            || b.code() == ErrorCode.INVALID_ARGUMENT || !Retryability.isRetryable(b)) {
          state = "failed: " + b.getMessage();
          log.warn("recovery done refused pid={} recoveryEpoch={} cid={} code={} error={}", pid, recoveryEpoch, cid,
              b.code(), b.getMessage());
          return false;
        }
        backoff(failures);
      }
    }
  }

  /** An empty write through the owner: acknowledged only once this chunk (on the write path) applied it. */
  private void barrier(ExtentInfo info) {
    Source src = source(info);
    WriteRequest w = WriteRequest.newBuilder().setPid(pid).setEpoch(info.getEpoch()).setOffset(0).setLength(0)
        .setKind(WriteKind.WRITE_ZEROES).build();
    Frame f = await(ctx.rpc().client(src.address).call(Envelope.newBuilder().setWrite(w), null, ctx.callTimeout()),
        "barrier write via cid=" + src.cid);
    f.release();
  }

  private record Source(int cid, String address) {}

  /** The owner, or replicas[0] when there is none (it takes the lease when asked). */
  private static Source source(ExtentInfo info) {
    int cid = info.getOwnerCid() != 0 ? info.getOwnerCid() : info.getReplicasCount() > 0 ? info.getReplicas(0) : 0;
    String address = MetaExtents.addressOf(info, cid);
    if (cid == 0 || address.isEmpty()) {
      throw new BasaltException(ErrorCode.NOT_READY, "no copy source for pid=" + info.getPid(), true);
    }
    return new Source(cid, address);
  }

  private void countRate(long bytes) {
    long now = ctx.clock().nanoTime();
    windowBytes += bytes;
    long elapsed = now - windowStart;
    if (elapsed >= RATE_WINDOW_NANOS) {
      rate = windowBytes * 1_000_000_000L / elapsed;
      windowStart = now;
      windowBytes = 0;
    } else if (rate == 0 && elapsed > 0) {
      rate = windowBytes * 1_000_000_000L / elapsed;
    }
  }

  private <T> T onPid(Supplier<T> task) {
    return await(ctx.ordered().submit(pid, task), "pid thread");
  }

  private <T> T await(CompletableFuture<T> f, String what) {
    try {
      return f.get(ctx.callTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      f.cancel(false);
      throw new Cancelled();
    } catch (TimeoutException e) {
      f.cancel(false); // a reply that still arrives is released by the RPC client
      throw new BasaltException(ErrorCode.TIMEOUT, what + " pid=" + pid + " did not answer", true, e);
    } catch (ExecutionException e) {
      throw BasaltException.of(e);
    }
  }

  private void backoff(int failures) {
    long ms = RetryPolicy.RECOVERY.withMax(ctx.maxBackoff()).delayMillis(failures);
    try {
      if (stop.await(ms, TimeUnit.MILLISECONDS)) checkCancelled();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Cancelled();
    }
  }

  private void checkCancelled() {
    if (cancelled || Thread.currentThread().isInterrupted()) throw new Cancelled();
  }

  /** Unwinds a cancelled task. */
  private static final class Cancelled extends RuntimeException {
    Cancelled() {
      super(null, null, false, false);
    }
  }
}
