package io.basalt.chunk.service;

import io.basalt.chunk.replica.ReplicaApplier;
import io.basalt.chunk.store.ReplicaStore;
import io.basalt.common.OrderedExecutor;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.WriteKind;
import io.basalt.rpc.BasaltException;
import io.netty.buffer.ByteBuf;
import io.basalt.proto.ReplicateRequest;
import io.basalt.proto.ReplicateResponse;
import io.basalt.proto.SyncWalResponse;
import io.basalt.rpc.Frame;
import io.basalt.rpc.FrameLimits;
import io.basalt.rpc.Reply;
import io.basalt.rpc.RpcServer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Owner-to-replica RPC endpoint: Replicate (applied on the pid's ordered thread by {@link ReplicaApplier}, in the
 * order the event loop received them, which is the owner's send order) and SyncWal (on the io pool). Handlers
 * run on Netty event loops and only hop.
 */
public final class ReplicaService {
  private final OrderedExecutor ordered;
  private final Executor io;
  private final ReplicaApplier applier;
  private final ReplicaStore store;

  public ReplicaService(OrderedExecutor ordered, Executor io, ReplicaApplier applier, ReplicaStore store) {
    this.ordered = ordered;
    this.io = io;
    this.applier = applier;
    this.store = store;
  }

  public RpcServer.Builder register(RpcServer.Builder b) {
    return b.handle(Envelope.BodyCase.REPLICATE, this::replicate)
        .handle(Envelope.BodyCase.REPLICATE_BATCH, this::replicateBatch)
        .handle(Envelope.BodyCase.SYNC_WAL, this::syncWal);
  }

  private CompletableFuture<Reply> replicate(Frame f) {
    ReplicateRequest r = f.header().getReplicate();
    RequestChecks.replicate(r, f.data(), FrameLimits.DEFAULT);
    return PidTasks.onPid(ordered, r.getPid(), "replicate",
            () -> CompletableFuture.completedFuture(applier.apply(r, f.data())))
        .thenApply(applied -> Reply.of(Envelope.newBuilder()
            .setReplicateResponse(ReplicateResponse.newBuilder().setAppliedGen(applied))));
  }

  /** Applies the entries in order on the pid's thread; the data of WRITE entries follows in the same order. */
  private CompletableFuture<Reply> replicateBatch(Frame f) {
    RequestChecks.replicateBatch(f.header().getReplicateBatch(), f.data());
    var entries = f.header().getReplicateBatch().getEntriesList();
    if (entries.isEmpty()) {
      return CompletableFuture.failedFuture(new BasaltException(ErrorCode.INVALID_ARGUMENT, "empty replicate batch"));
    }
    long pid = entries.get(0).getPid();
    ByteBuf data = f.data();
    return PidTasks.onPid(ordered, pid, "replicate batch", () -> {
      long applied = 0;
      int at = data.readerIndex();
      for (ReplicateRequest r : entries) {
        if (r.getPid() != pid) {
          throw new BasaltException(ErrorCode.INVALID_ARGUMENT,
              "replicate batch mixes pid=" + pid + " and pid=" + r.getPid());
        }
        boolean hasData = r.getKind() == WriteKind.WRITE;
        if (hasData && at + r.getLength() > data.writerIndex()) {
          throw new BasaltException(ErrorCode.INVALID_ARGUMENT,
              "replicate batch data too short pid=" + pid + " gen=" + r.getGen());
        }
        applied = applier.apply(r, hasData ? data.slice(at, r.getLength()) : null);
        if (hasData) at += r.getLength();
      }
      return CompletableFuture.completedFuture(applied);
    }).thenApply(applied -> Reply.of(Envelope.newBuilder()
        .setReplicateResponse(ReplicateResponse.newBuilder().setAppliedGen(applied))));
  }

  private CompletableFuture<Reply> syncWal(Frame f) {
    RequestChecks.syncWal(f.header().getSyncWal(), f.data());
    return PidTasks.on(io, 0, "sync wal", () -> {
      store.syncWal();
      return Reply.of(Envelope.newBuilder().setSyncWalResponse(SyncWalResponse.getDefaultInstance()));
    });
  }
}
