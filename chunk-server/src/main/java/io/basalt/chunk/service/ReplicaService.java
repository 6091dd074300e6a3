package io.basalt.chunk.service;

import io.basalt.chunk.replica.ReplicaApplier;
import io.basalt.chunk.store.ReplicaStore;
import io.basalt.common.OrderedExecutor;
import io.basalt.proto.Envelope;
import io.basalt.proto.ReplicateRequest;
import io.basalt.proto.ReplicateResponse;
import io.basalt.proto.SyncWalResponse;
import io.basalt.rpc.Frame;
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
        .handle(Envelope.BodyCase.SYNC_WAL, this::syncWal);
  }

  private CompletableFuture<Reply> replicate(Frame f) {
    ReplicateRequest r = f.header().getReplicate();
    return PidTasks.onPid(ordered, r.getPid(), "replicate",
            () -> CompletableFuture.completedFuture(applier.apply(r, f.data())))
        .thenApply(applied -> Reply.of(Envelope.newBuilder()
            .setReplicateResponse(ReplicateResponse.newBuilder().setAppliedGen(applied))));
  }

  private CompletableFuture<Reply> syncWal(Frame f) {
    return PidTasks.on(io, 0, "sync wal", () -> {
      store.syncWal();
      return Reply.of(Envelope.newBuilder().setSyncWalResponse(SyncWalResponse.getDefaultInstance()));
    });
  }
}
