package io.basalt.chunk.owner;

import io.basalt.chunk.core.LocalChunk;
import io.basalt.chunk.core.MetaExtents;
import io.basalt.chunk.core.Peer;
import io.basalt.chunk.store.ReplicaStore;
import io.basalt.common.OrderedExecutor;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.SyncWalRequest;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.NotOwnerException;
import io.basalt.rpc.RpcClientFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * FLUSH (DESIGN.md "Write path" 6): syncs this chunk's WAL once and every distinct other replica chunk's WAL
 * (SyncWal) for the given pids, completing when all have synced. Every write acknowledged before the flush is
 * already applied on every replica, so these syncs make it durable. Peers come from the owner state when this
 * chunk owns the pid (read on the pid's ordered thread), else from meta (GetExtent).
 *
 * <p>Thread: started on an event loop; the WAL sync runs on the io pool, lookups on ordered threads; nothing
 * blocks the caller.
 */
public final class FlushOp {
  private final OwnerTable table;
  private final OrderedExecutor ordered;
  private final MetaExtents meta;
  private final LocalChunk local;
  private final ReplicaStore store;
  private final Executor io;
  private final RpcClientFactory rpc;
  private final Duration deadline;

  public FlushOp(OwnerTable table, OrderedExecutor ordered, MetaExtents meta, LocalChunk local, ReplicaStore store,
      Executor io, RpcClientFactory rpc, Duration deadline) {
    this.table = table;
    this.ordered = ordered;
    this.meta = meta;
    this.local = local;
    this.store = store;
    this.io = io;
    this.rpc = rpc;
    this.deadline = deadline;
  }

  public CompletableFuture<Void> flush(List<Long> pids) {
    int me = local.cid();
    List<CompletableFuture<List<Peer>>> lookups = new ArrayList<>();
    for (long pid : new LinkedHashSet<>(pids)) {
      lookups.add(ordered.submit(pid, () -> table.peersIfOwner(pid))
          .thenCompose(owned -> peers(pid, owned, me)));
    }
    // A failed sync is never retried here (its data may be gone from the page cache): the flush fails retryably,
    // and succeeds once the failed store is out of the membership (this chunk's leases go with its store).
    CompletableFuture<Void> own = CompletableFuture.runAsync(store::syncWal, io)
        .exceptionallyCompose(e -> CompletableFuture.failedFuture(new NotOwnerException(0, "", "WAL sync failed on cid="
            + me + ", this chunk gives its leases up: retry at another member (" + BasaltException.of(e).getMessage()
            + ")")));
    CompletableFuture<Void> others = CompletableFuture.allOf(lookups.toArray(CompletableFuture[]::new))
        .thenCompose(v -> {
          Map<Integer, String> distinct = new LinkedHashMap<>();
          for (CompletableFuture<List<Peer>> f : lookups) {
            for (Peer p : f.join()) distinct.putIfAbsent(p.cid(), p.address());
          }
          List<CompletableFuture<Envelope>> syncs = new ArrayList<>();
          for (Map.Entry<Integer, String> p : distinct.entrySet()) {
            syncs.add(rpc.client(p.getValue()).call(Envelope.newBuilder()
                .setSyncWal(SyncWalRequest.getDefaultInstance()), deadline)
                .exceptionallyCompose(e -> CompletableFuture.failedFuture(new BasaltException(ErrorCode.UNAVAILABLE,
                    "WAL sync of member cid=" + p.getKey() + " failed: retry once it is replaced ("
                    + BasaltException.of(e).getMessage() + ")", true))));
          }
          return CompletableFuture.allOf(syncs.toArray(CompletableFuture[]::new));
        });
    return CompletableFuture.allOf(own, others);
  }

  private CompletableFuture<List<Peer>> peers(long pid, Optional<List<Peer>> owned, int me) {
    if (owned.isPresent()) return CompletableFuture.completedFuture(owned.get());
    return meta.getAsync(pid).thenApply(info -> othersOf(info, me));
  }

  private static List<Peer> othersOf(ExtentInfo info, int me) {
    List<Peer> out = new ArrayList<>();
    for (int i = 0; i < info.getReplicasCount() && i < info.getReplicaAddressesCount(); i++) {
      if (info.getReplicas(i) != me) out.add(new Peer(info.getReplicas(i), info.getReplicaAddresses(i)));
    }
    return out;
  }
}
