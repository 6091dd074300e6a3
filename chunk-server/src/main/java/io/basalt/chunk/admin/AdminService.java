package io.basalt.chunk.admin;

import io.basalt.chunk.core.LocalChunk;
import io.basalt.chunk.core.PidTasks;
import io.basalt.chunk.core.RequestChecks;
import io.basalt.chunk.integrity.QuarantineEvidence;
import io.basalt.chunk.store.ReplicaDigest;
import io.basalt.chunk.store.ReplicaMeta;
import io.basalt.chunk.store.ReplicaStore;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ListQuarantineResponse;
import io.basalt.proto.ListReplicasResponse;
import io.basalt.proto.RemoveQuarantineRequest;
import io.basalt.proto.RemoveQuarantineResponse;
import io.basalt.proto.ReplicaStatusResponse;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.Frame;
import io.basalt.rpc.Reply;
import io.basalt.rpc.RpcServer;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Admin RPC endpoint: ReplicaStatus (generation and content hash of one replica, from a store snapshot) and
 * ListReplicas (every replica's pid/epoch/gen/state, without hashes: a digest reads every block), ListQuarantine and
 * RemoveQuarantine (the evidence of quarantined replicas, {@code basalt quarantine ls|rm}). Runs on the io pool;
 * handlers on event loops only hop.
 */
public final class AdminService {
  private final Executor io;
  private final ReplicaStore store;
  private final LocalChunk local;
  private final QuarantineEvidence evidence;

  public AdminService(Executor io, ReplicaStore store, LocalChunk local, QuarantineEvidence evidence) {
    this.evidence = evidence;
    this.io = io;
    this.store = store;
    this.local = local;
  }

  public RpcServer.Builder register(RpcServer.Builder b) {
    return b.handle(Envelope.BodyCase.REPLICA_STATUS, this::status)
        .handle(Envelope.BodyCase.LIST_REPLICAS, this::list)
        .handle(Envelope.BodyCase.LIST_QUARANTINE, this::listQuarantine)
        .handle(Envelope.BodyCase.REMOVE_QUARANTINE, this::removeQuarantine);
  }

  private CompletableFuture<Reply> listQuarantine(Frame f) {
    return PidTasks.on(io, 0, "list quarantine", () -> Reply.of(Envelope.newBuilder()
        .setListQuarantineResponse(ListQuarantineResponse.newBuilder().addAllReports(evidence.list()))));
  }

  private CompletableFuture<Reply> removeQuarantine(Frame f) {
    RemoveQuarantineRequest r = f.header().getRemoveQuarantine();
    if (!r.getAll() && r.getPid() == 0) {
      return CompletableFuture.failedFuture(new BasaltException(ErrorCode.INVALID_ARGUMENT,
          "remove quarantine: name a pid or ask for all"));
    }
    return PidTasks.on(io, r.getPid(), "remove quarantine", () -> Reply.of(Envelope.newBuilder()
        .setRemoveQuarantineResponse(RemoveQuarantineResponse.newBuilder().addAllRemoved(
            evidence.remove(q -> r.getAll() || q.getPid() == r.getPid())))));
  }

  private CompletableFuture<Reply> status(Frame f) {
    RequestChecks.replicaStatus(f.header().getReplicaStatus());
    long pid = f.header().getReplicaStatus().getPid();
    return PidTasks.on(io, pid, "replica status", () -> {
      ReplicaStatusResponse.Builder b = ReplicaStatusResponse.newBuilder().setPid(pid).setCid(local.cidOrZero());
      Optional<ReplicaMeta> m = store.replica(pid);
      if (m.isPresent()) {
        ReplicaDigest d = store.digest(pid);
        b.setExists(true).setEpoch(d.epoch()).setGen(d.gen()).setState(m.get().state()).setHash(d.hashHex())
            .setBlockCount(d.blockCount());
      }
      return Reply.of(Envelope.newBuilder().setReplicaStatusResponse(b));
    });
  }

  private CompletableFuture<Reply> list(Frame f) {
    return PidTasks.on(io, 0, "list replicas", () -> {
      ListReplicasResponse.Builder b = ListReplicasResponse.newBuilder();
      int cid = local.cidOrZero();
      for (ReplicaMeta m : store.replicas()) {
        b.addReplicas(ReplicaStatusResponse.newBuilder().setPid(m.pid()).setEpoch(m.epoch()).setGen(m.gen())
            .setState(m.state()).setExists(true).setCid(cid));
      }
      return Reply.of(Envelope.newBuilder().setListReplicasResponse(b));
    });
  }
}
