package io.basalt.chunk.owner;

import io.basalt.chunk.core.ChunkMetrics;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ReadRequest;
import io.basalt.rpc.BasaltException;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The owner's side of the read path (DESIGN.md "Write path" 5): checks ownership (acquiring the lease when free) and
 * range, then holds a read's data back until the writes it may contain are acknowledged, so a reader never sees a
 * value a failover could take back. The store read itself is the caller's (on the io pool).
 *
 * <p>Thread: {@link #prepareRead} on the pid's ordered thread; {@link #prepareReadIfOwner} and {@link #settle} on
 * any thread (they only look at the owner state's volatile and concurrent fields).
 */
public final class OwnerReads {
  /**
   * What a read at the owner may serve: the owner's epoch and last assigned gen when it was checked, and what
   * {@link OwnerReads#settle} needs to hold the data back until the writes it may contain are acknowledged.
   */
  public static final class ReadPlan {
    private final OwnedExtent owner;
    private final long failedWritesBefore;
    private final long gen;
    private final long offset;
    private final int length;

    ReadPlan(OwnedExtent owner, long offset, int length) {
      this.owner = owner;
      this.failedWritesBefore = owner.failedWrites.get();
      this.gen = owner.lastGen;
      this.offset = offset;
      this.length = length;
    }

    public long pid() {
      return owner.pid;
    }

    public long epoch() {
      return owner.epoch;
    }

    public long gen() {
      return gen;
    }

    public long offset() {
      return offset;
    }

    public int length() {
      return length;
    }
  }

  private final OwnerTable table;
  private final ChunkMetrics metrics;

  public OwnerReads(OwnerTable table, ChunkMetrics metrics) {
    this.table = table;
    this.metrics = metrics;
  }

  /**
   * Checks ownership and range for a read. Every write acknowledged before this runs was applied locally by an
   * earlier task on this thread, so a store read started after it sees them. Pid thread only.
   */
  public CompletableFuture<ReadPlan> prepareRead(ReadRequest req) {
    return table.asOwner(req.getPid(), x -> {
      ExtentOwner.checkRange(x, req.getOffset(), req.getLength());
      return CompletableFuture.completedFuture(new ReadPlan(x, req.getOffset(), req.getLength()));
    });
  }

  /**
   * The read plan when this chunk already owns the pid, without a hop to the pid's thread: every acknowledged
   * write was applied locally before its acknowledgement, so a read started now sees it. Any thread; empty when
   * the lease must be acquired first (then use {@link #prepareRead} on the pid thread).
   */
  public Optional<ReadPlan> prepareReadIfOwner(ReadRequest req) {
    OwnedExtent x = table.get(req.getPid());
    if (x == null || !table.lease().valid(x.sessionEpoch)) {
      return Optional.empty();
    }
    ExtentOwner.checkRange(x, req.getOffset(), req.getLength());
    return Optional.of(new ReadPlan(x, req.getOffset(), req.getLength()));
  }

  /**
   * Releases {@code data}, read for {@code plan} after the plan was made, only once it holds nothing that may yet be
   * lost (DESIGN.md "Write path" 5; TESTPLAN I1): the owner applies a write locally before its members have it, so
   * the read may contain a write that is never acknowledged (the owner dies, the next owner never had it) and a
   * reader would then see a newer value and later an older one. A read overlapping such a write waits until it is
   * acknowledged; if any write of the extent failed meanwhile (the owner stepped down) the read fails, retryable, and
   * is served again by the next owner. Writes that a read cannot contain (applied after it) may make it wait too:
   * waiting is cheap next to serving a value that disappears. Any thread; completes on the thread that resolves
   * the last write waited for.
   */
  public CompletableFuture<ByteBuf> settle(ReadPlan plan, ByteBuf data) {
    OwnedExtent x = plan.owner;
    long from = plan.offset;
    long to = plan.offset + plan.length;
    List<CompletableFuture<Long>> waits = null;
    for (OwnedExtent.UnackedWrite u : x.unacked) {
      if (u.overlaps(from, to)) {
        if (waits == null) waits = new ArrayList<>(2);
        waits.add(u.done());
      }
    }
    if (waits == null) {
      return x.failedWrites.get() == plan.failedWritesBefore ? CompletableFuture.completedFuture(data)
          : CompletableFuture.failedFuture(unsettled(plan, data));
    }
    metrics.readsHeldForWrites().inc();
    return CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new)).handle((v, err) -> {
      if (err != null || x.failedWrites.get() != plan.failedWritesBefore) throw unsettled(plan, data);
      return data;
    });
  }

  private static BasaltException unsettled(ReadPlan plan, ByteBuf data) {
    data.release();
    return new BasaltException(ErrorCode.UNAVAILABLE, "a write to the blocks read was not acknowledged pid="
        + plan.pid() + " epoch=" + plan.epoch() + " offset=" + plan.offset + " length=" + plan.length
        + ": read again from the next owner", true);
  }
}
