package io.basalt.chunk.owner;

import io.basalt.chunk.core.ChunkMetrics;
import io.basalt.chunk.core.Peer;
import io.basalt.chunk.store.BlockCorruptException;
import io.basalt.chunk.store.ReplicaStore;
import io.basalt.proto.Envelope;
import io.basalt.proto.RepairReadRequest;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.Frame;
import io.basalt.rpc.NotOwnerException;
import io.basalt.rpc.RpcClientFactory;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a read whose blocks fail their check on the owner from a member, and repairs the owner's copy in place
 * (DESIGN.md "Chunk storage", TESTPLAN F19 a/b). The members are asked in turn (RepairRead: their current bytes,
 * CRC-checked there); the first good answer serves the read. Then, on the pid's thread, every block of the range
 * that still fails here is rewritten from it. A block that reads fine by then was rewritten by a newer write, which
 * the member's bytes must not undo, so only blocks still corrupt are written (no write of the pid can interleave on
 * its thread). Gens and the gen log are untouched: the content is the one they already describe.
 *
 * <p>Thread: starts on any thread; the rewrite on the pid's thread; member answers on the peer clients' loops.
 */
public final class ReadRepair {
  private static final Logger log = LoggerFactory.getLogger(ReadRepair.class);
  private static final int B = ReplicaStore.BLOCK_SIZE;

  private final OwnerTable table;
  private final ReplicaStore store;
  private final RpcClientFactory peers;
  private final ChunkMetrics metrics;
  private final Duration deadline;

  public ReadRepair(OwnerTable table, ReplicaStore store, RpcClientFactory peers, ChunkMetrics metrics, Duration deadline) {
    this.table = table;
    this.store = store;
    this.peers = peers;
    this.metrics = metrics;
    this.deadline = deadline;
  }

  /** The bytes of {@code plan}'s range from a member with a good copy; fails with {@code cause} when none has one. */
  CompletableFuture<ByteBuf> repair(OwnerReads.ReadPlan plan, BlockCorruptException cause) {
    long pid = plan.pid();
    long from = plan.offset() / B * B;
    int length = (int) ((plan.offset() + plan.length() + B - 1) / B * B - from);
    log.warn("read hit a corrupt block, asking the members pid={} epoch={} block={} offset={} length={} error={}",
        pid, plan.epoch(), cause.block(), plan.offset(), plan.length(), cause.getMessage());
    return table.onPid(pid, () -> {
      OwnedExtent x = table.ownedIfValid(pid);
      if (x == null || x.epoch != plan.epoch()) {
        return CompletableFuture.failedFuture(new NotOwnerException(0, "", "lost the lease of pid=" + pid
            + " while repairing a read"));
      }
      List<Peer> members = new ArrayList<>();
      for (ReplicaPipe p : x.pipes) members.add(p.peer());
      RepairReadRequest req = RepairReadRequest.newBuilder().setPid(pid).setEpoch(x.epoch).setOwnerCid(x.self)
          .setOffset(from).setLength(length).build();
      return fetch(members, 0, req, cause);
    }).thenCompose(good -> table.onPid(pid, () -> {
      try {
        rewrite(pid, from, length, good.data());
        return CompletableFuture.completedFuture(good.data().retainedSlice((int) (plan.offset() - from),
            plan.length()));
      } finally {
        good.release();
      }
    }));
  }

  /** Members from {@code i} on, in turn, until one answers with its bytes. */
  private CompletableFuture<Frame> fetch(List<Peer> members, int i, RepairReadRequest req,
      BlockCorruptException cause) {
    if (i >= members.size()) {
      metrics.readRepairsFailed().inc();
      return CompletableFuture.failedFuture(new BasaltException(cause.code(), cause.getMessage()
          + "; no member had a good copy", false));
    }
    Peer m = members.get(i);
    CompletableFuture<Frame> call;
    try {
      call = peers.client(m.address()).call(Envelope.newBuilder().setRepairRead(req), null, deadline);
    } catch (RuntimeException e) {
      call = CompletableFuture.failedFuture(e);
    }
    return call.thenCompose(f -> {
      if (f.data() != null && f.data().readableBytes() == req.getLength()) return CompletableFuture.completedFuture(f);
      f.release();
      return CompletableFuture.failedFuture(new BasaltException(cause.code(), "short repair read from cid="
          + m.cid(), false));
    }).exceptionallyCompose(e -> {
      log.warn("repair read from member failed pid={} cid={} error={}", req.getPid(), m.cid(),
          BasaltException.of(e).getMessage());
      return fetch(members, i + 1, req, cause);
    });
  }

  /** Rewrites the blocks of the range that still fail here with the member's bytes. Pid thread. */
  private void rewrite(long pid, long from, int length, ByteBuf good) {
    List<Long> bad = new ArrayList<>();
    for (long off = from; off < from + length; off += B) {
      try {
        store.read(pid, off, B, PooledByteBufAllocator.DEFAULT).release();
      } catch (BlockCorruptException e) {
        bad.add(off / B);
      }
    }
    if (bad.isEmpty()) return;
    long[] blocks = new long[bad.size()];
    ByteBuf data = PooledByteBufAllocator.DEFAULT.buffer(bad.size() * B);
    try {
      for (int i = 0; i < blocks.length; i++) {
        blocks[i] = bad.get(i);
        data.writeBytes(good, (int) (blocks[i] * B - from), B);
      }
      store.writeCopiedBlocks(pid, blocks, data, b -> false);
    } finally {
      data.release();
    }
    metrics.readRepairs().inc(blocks.length);
    log.warn("corrupt blocks repaired from a member pid={} blocks={}", pid, bad);
  }
}
