package io.basalt.chunk.owner;

import io.basalt.chunk.core.Peer;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ReplicateBatchRequest;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.Frame;
import io.basalt.rpc.NotOwnerException;
import io.basalt.rpc.StaleEpochException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ordered, retrying replication of one extent's writes from this owner to one peer replica: the queue of
 * replicates the peer has not acked yet, in gen order.
 *
 * <p>Thread: the pid's ordered thread only; RPC completions and retry timers hop back onto it.
 *
 * <p>Invariant: the peer receives writes in gen order. Sends are pipelined on one connection (which keeps their
 * order); after any failure nothing new is sent until every call in flight has finished, then, after a capped
 * backoff, the whole unacked queue is resent from its head (the replica acks what it already has as a
 * duplicate). Writes stay unacknowledged while the peer is away: removing a dead replica is recovery's job.
 * A STALE_EPOCH or NOT_OWNER answer means this owner was deposed: {@link Events#deposed} steps the extent down.
 * Any other failed round is reported through {@link Events#roundFailed} (which may report ReplicaFailed to meta)
 * while the pipe keeps retrying; when meta removes the peer, {@link #closeAsRemoved} completes the queue.
 */
final class ReplicaPipe {
  private static final Logger log = LoggerFactory.getLogger(ReplicaPipe.class);
  private static final int MAX_BATCH = 64;
  private static final long MAX_BATCH_BYTES = 4L << 20;

  /** What the owner does about this pipe's failures. Called on the pid's ordered thread. */
  interface Events {
    /** The peer answered STALE_EPOCH or NOT_OWNER: this owner was deposed. */
    void deposed(ReplicaPipe pipe, BasaltException cause);

    /** A round failed for any other reason (connection lost, deadline, peer error); the pipe retries. */
    void roundFailed(ReplicaPipe pipe, BasaltException cause);
  }

  private final ReplicaPipes shared;
  private final long pid;
  private long epoch;
  private final Peer peer;
  private final Events events;
  private final ArrayDeque<PendingReplicate> queue = new ArrayDeque<>();
  /** Queued but not yet sent: sent together by one flush task that runs after the writes queued before it. */
  private final ArrayList<PendingReplicate> unsent = new ArrayList<>();
  private boolean flushScheduled;
  private int inFlight;
  private boolean broken;
  private boolean retryScheduled;
  private boolean closed;
  private int failures;
  private BasaltException lastError;
  /** ReplicaFailed bookkeeping ({@link ReplicaFailedReporter}): one report in flight, re-reports spaced. */
  boolean reportInFlight;
  long lastReportNanos;
  boolean reported;

  ReplicaPipe(ReplicaPipes shared, long pid, long epoch, Peer peer, Events events) {
    this.shared = shared;
    this.pid = pid;
    this.epoch = epoch;
    this.peer = peer;
    this.events = events;
  }

  Peer peer() {
    return peer;
  }

  long pid() {
    return pid;
  }

  boolean closed() {
    return closed;
  }

  /**
   * The owner adopted a newer epoch (membership changed under it): queued writes go out at that epoch, since a peer
   * that already adopted it refuses the older one as STALE_EPOCH, which would depose this (still valid) owner.
   */
  void adoptEpoch(long newEpoch) {
    if (newEpoch <= epoch) return;
    epoch = newEpoch;
    for (PendingReplicate p : queue) p.setEpoch(newEpoch);
  }

  int pending() {
    return queue.size();
  }

  void enqueue(PendingReplicate p) {
    if (closed) {
      p.fail(new BasaltException(ErrorCode.NOT_OWNER, "owner stepped down pid=" + pid, true));
      return;
    }
    queue.addLast(p);
    if (broken) return; // the resend after the backoff takes the whole queue
    unsent.add(p);
    if (!flushScheduled) {
      flushScheduled = true;
      shared.afterRound(pid, this::flushUnsent);
    }
  }

  /**
   * Sends what queued since the last flush. Writes of this pid that were already waiting on the ordered thread ran
   * before this task, so a burst leaves in one frame: one RPC and one replica-side hop instead of one per write.
   */
  private void flushUnsent() {
    if (closed || broken) {
      flushScheduled = false;
      unsent.clear();
      return;
    }
    // Test hook: a delay or hang here holds this pipe's replicates (never the loop: other work goes on), so they
    // reach peers late (F05) or never.
    CompletableFuture<Void> held =
        shared.failpoints().injectAsync("chunk.owner.before-replicate-send");
    if (held != null && !held.isDone()) {
      held.whenComplete((v, err) -> shared.hop(pid, this::sendUnsent));
      return;
    }
    sendUnsent();
  }

  private void sendUnsent() {
    flushScheduled = false;
    if (closed || broken) {
      unsent.clear();
      return;
    }
    sendAll(unsent);
    unsent.clear();
  }

  private void sendAll(Iterable<PendingReplicate> list) {
    List<PendingReplicate> batch = new ArrayList<>();
    long bytes = 0;
    for (PendingReplicate p : list) {
      if (!batch.isEmpty() && (batch.size() >= MAX_BATCH || bytes + p.request().getLength() > MAX_BATCH_BYTES)) {
        sendBatch(batch);
        batch = new ArrayList<>();
        bytes = 0;
      }
      batch.add(p);
      bytes += p.request().getLength();
    }
    if (!batch.isEmpty()) sendBatch(batch);
  }

  private void sendBatch(List<PendingReplicate> batch) {
    if (batch.size() == 1) {
      send(batch.get(0));
      return;
    }
    inFlight++;
    long start = System.nanoTime();
    ReplicateBatchRequest.Builder req = ReplicateBatchRequest.newBuilder();
    CompositeByteBuf data = PooledByteBufAllocator.DEFAULT.compositeDirectBuffer(batch.size());
    for (PendingReplicate p : batch) {
      req.addEntries(p.request());
      ByteBuf d = p.dataForSend();
      if (d != null) data.addComponent(true, d);
    }
    PendingReplicate last = batch.get(batch.size() - 1);
    CompletableFuture<Frame> call;
    try {
      call = shared.rpc().client(peer.address())
          .call(Envelope.newBuilder().setReplicateBatch(req), data, shared.replicateTimeout());
    } catch (RuntimeException e) {
      data.release();
      call = CompletableFuture.failedFuture(e);
    }
    shared.metrics().replicateBatch().update(batch.size());
    complete(call, last, start);
  }

  /**
   * The peer left the membership (meta removed it, epoch + 1): queued writes need its ack no more, so each counts
   * as acknowledged by this pipe; later completions are ignored.
   */
  void closeAsRemoved() {
    closed = true;
    log.info("peer removed from membership, completing its queue pid={} epoch={} cid={} unacked={}", pid, epoch,
        peer.cid(), queue.size());
    while (!queue.isEmpty()) queue.pollFirst().acked();
  }

  /** Fails every queued write with {@code cause}; later completions are ignored. */
  void close(BasaltException cause) {
    closed = true;
    while (!queue.isEmpty()) queue.pollFirst().fail(cause);
  }

  private void send(PendingReplicate p) {
    inFlight++;
    long start = System.nanoTime();
    CompletableFuture<Frame> call;
    var data = p.dataForSend();
    try {
      call = shared.rpc().client(peer.address())
          .call(Envelope.newBuilder().setReplicate(p.request()), data, shared.replicateTimeout());
    } catch (RuntimeException e) {
      if (data != null) data.release();
      call = CompletableFuture.failedFuture(e);
    }
    complete(call, p, start);
  }

  private void complete(CompletableFuture<Frame> call, PendingReplicate p, long start) {
    call.whenComplete((frame, err) -> {
      long applied = 0;
      if (frame != null) {
        applied = frame.header().getReplicateResponse().getAppliedGen();
        frame.release();
      }
      long appliedGen = applied;
      shared.hop(pid, () -> onReply(p, appliedGen, err, start));
    });
  }

  private void onReply(PendingReplicate p, long appliedGen, Throwable err, long start) {
    inFlight--;
    if (closed) return;
    if (err == null) {
      shared.metrics().replicateLatency().update(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      if (failures > 0) {
        log.info("replicate to peer recovered pid={} epoch={} gen={} cid={} appliedGen={} afterRounds={}", pid,
            epoch, p.gen(), peer.cid(), appliedGen, failures);
        failures = 0;
      }
      // The replica applies in gen order, so an ack of gen g covers everything queued up to g.
      while (!queue.isEmpty() && queue.peekFirst().gen() <= p.gen()) queue.pollFirst().acked();
    } else {
      BasaltException e = BasaltException.of(err);
      if (e instanceof StaleEpochException || e instanceof NotOwnerException) {
        log.warn("peer rejected replicate, stepping down pid={} epoch={} gen={} cid={} error={}", pid, epoch,
            p.gen(), peer.cid(), e.getMessage());
        events.deposed(this, e);
        return;
      }
      broken = true;
      lastError = e;
    }
    if (broken && inFlight == 0 && !retryScheduled) scheduleRetry();
  }

  private void scheduleRetry() {
    retryScheduled = true;
    failures++;
    shared.metrics().replicateRetries().inc();
    long delay = ReplicaPipes.backoffMs(failures);
    if (failures == 1 || failures % 20 == 0) {
      log.warn("replicate to peer failing, will resend pid={} epoch={} cid={} address={} unacked={} firstGen={}"
              + " round={} retryInMs={} error={}", pid, epoch, peer.cid(), peer.address(), queue.size(),
          queue.isEmpty() ? 0 : queue.peekFirst().gen(), failures, delay, lastError.getMessage());
    }
    shared.schedule(pid, delay, this::resend);
    events.roundFailed(this, lastError);
  }

  private void resend() {
    retryScheduled = false;
    if (closed) return;
    broken = false;
    if (!queue.isEmpty()) {
      log.debug("resending pid={} epoch={} cid={} gens={}..{}", pid, epoch, peer.cid(), queue.peekFirst().gen(),
          queue.peekLast().gen());
    }
    unsent.clear(); // all of them are in the queue being resent
    sendAll(queue);
  }
}
