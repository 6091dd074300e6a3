package io.basalt.chunk.integrity;

import io.basalt.chunk.core.PidTasks;
import io.basalt.common.OrderedExecutor;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.QuarantineReplicaRequest;
import io.basalt.proto.QuarantineReplicaResponse;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.Frame;
import io.basalt.rpc.Reply;
import io.basalt.rpc.RpcServer;
import java.util.concurrent.CompletableFuture;

/**
 * RPC endpoint of the integrity component: QuarantineReplica, meta's word that this chunk's replica of a pid is in
 * the minority of a scrub (or fails CRCs). The chunk then quarantines it exactly as on its own: evidence,
 * QUARANTINED, ReplicaQuarantined back to meta. Runs on the pid's ordered thread.
 */
public final class IntegrityService {
  private static final int MAX_BLOCKS = ReplicaQuarantine.MAX_BLOCKS;

  private final OrderedExecutor ordered;
  private final ReplicaQuarantine quarantine;

  public IntegrityService(OrderedExecutor ordered, ReplicaQuarantine quarantine) {
    this.ordered = ordered;
    this.quarantine = quarantine;
  }

  public RpcServer.Builder register(RpcServer.Builder b) {
    return b.handle(Envelope.BodyCase.QUARANTINE_REPLICA, this::quarantineReplica);
  }

  private CompletableFuture<Reply> quarantineReplica(Frame f) {
    QuarantineReplicaRequest r = f.header().getQuarantineReplica();
    long pid = r.getPid();
    if (pid <= 0 || r.getReason().isBlank() || r.getBlocksCount() > MAX_BLOCKS) {
      return CompletableFuture.failedFuture(new BasaltException(ErrorCode.INVALID_ARGUMENT, "quarantine replica: pid"
          + " must be > 0, a reason given, at most " + MAX_BLOCKS + " blocks (pid=" + pid + ")"));
    }
    return PidTasks.onPid(ordered, pid, "quarantine replica", () -> {
      boolean done = quarantine.quarantineOnRequest(pid, "meta: " + r.getReason(), r.getBlocksList());
      return CompletableFuture.completedFuture(Reply.of(Envelope.newBuilder().setQuarantineReplicaResponse(
          QuarantineReplicaResponse.newBuilder().setQuarantined(done))));
    });
  }
}
