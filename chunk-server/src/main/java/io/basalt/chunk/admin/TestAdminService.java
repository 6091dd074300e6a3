package io.basalt.chunk.admin;

import io.basalt.chunk.core.PidTasks;
import io.basalt.chunk.core.RequestChecks;
import io.basalt.chunk.store.ExtentEpoch;
import io.basalt.chunk.store.ReplicaMeta;
import io.basalt.chunk.store.ReplicaStore;
import io.basalt.chunk.store.ReplicaStore.Mutation;
import io.basalt.common.OrderedExecutor;
import io.basalt.failpoint.Failpoints;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.MutateReplicaRequest;
import io.basalt.proto.MutateReplicaResponse;
import io.basalt.proto.ReadReplicaRequest;
import io.basalt.proto.ReadReplicaResponse;
import io.basalt.proto.SetFailpointRequest;
import io.basalt.proto.SetFailpointResponse;
import io.basalt.proto.WriteKind;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.Frame;
import io.basalt.rpc.FrameLimits;
import io.basalt.rpc.Reply;
import io.basalt.rpc.RpcServer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Test-only admin calls of the fault-injection harness: switch failpoints, read a replica's bytes directly, and
 * damage a replica on purpose for the checker's self-tests. Refused with TEST_ONLY unless the chunk was started
 * with {@code --test-mode}, so a production chunk can never be damaged through its RPC port.
 */
public final class TestAdminService {
  private static final Logger log = LoggerFactory.getLogger(TestAdminService.class);
  private final boolean enabled;
  private final Failpoints failpoints;
  private final ReplicaStore store;
  private final OrderedExecutor ordered;
  private final Executor io;

  public TestAdminService(boolean enabled, Failpoints failpoints, ReplicaStore store, OrderedExecutor ordered,
      Executor io) {
    this.enabled = enabled;
    this.failpoints = failpoints;
    this.store = store;
    this.ordered = ordered;
    this.io = io;
  }

  public RpcServer.Builder register(RpcServer.Builder b) {
    return b.handle(Envelope.BodyCase.SET_FAILPOINT, f -> guarded(() -> setFailpoint(f)))
        .handle(Envelope.BodyCase.READ_REPLICA, f -> guarded(() -> readReplica(f)))
        .handle(Envelope.BodyCase.MUTATE_REPLICA, f -> guarded(() -> mutate(f)));
  }

  private CompletableFuture<Reply> guarded(Supplier<CompletableFuture<Reply>> call) {
    if (!enabled) {
      return CompletableFuture.failedFuture(new BasaltException(ErrorCode.TEST_ONLY,
          "test-only admin call refused: the chunk was not started with --test-mode"));
    }
    return call.get();
  }

  private CompletableFuture<Reply> setFailpoint(Frame f) {
    SetFailpointRequest r = f.header().getSetFailpoint();
    RequestChecks.setFailpoint(r);
    try {
      failpoints.set(r.getName(), r.getAction());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return CompletableFuture.completedFuture(Reply.of(Envelope.newBuilder().setSetFailpointResponse(
        SetFailpointResponse.newBuilder().addAllActive(failpoints.list()))));
  }

  private CompletableFuture<Reply> readReplica(Frame f) {
    ReadReplicaRequest r = f.header().getReadReplica();
    RequestChecks.readReplica(r, FrameLimits.DEFAULT); // the chunk's RPC server runs with the default limits
    return PidTasks.on(io, r.getPid(), "read replica", () -> {
      ReplicaMeta m = store.replica(r.getPid()).orElse(null);
      ByteBuf data = store.read(r.getPid(), r.getOffset(), r.getLength(), PooledByteBufAllocator.DEFAULT);
      return Reply.of(Envelope.newBuilder().setReadReplicaResponse(ReadReplicaResponse.newBuilder()
          .setExists(m != null).setGen(m == null ? 0 : m.gen())), data);
    });
  }

  private CompletableFuture<Reply> mutate(Frame f) {
    MutateReplicaRequest r = f.header().getMutateReplica();
    long pid = r.getPid();
    ByteBuf data = f.data();
    RequestChecks.mutateReplica(r, data);
    return PidTasks.onPid(ordered, pid, "mutate replica", () -> {
      ReplicaMeta m = store.replica(pid).orElseThrow(() -> new BasaltException(ErrorCode.NO_SUCH_EXTENT,
          "no replica of pid=" + pid + " on this chunk"));
      // Same generation as now: apply keeps max(stored, given), so the replica's gen does not move.
      switch (r.getMutation()) {
        case DROP_BLOCKS -> store.apply(new ExtentEpoch(pid, m.epoch()),
            new Mutation(m.gen(), m.epoch(), r.getOffset(), r.getLength(), WriteKind.TRIM, null), true);
        case WRITE_LOCAL -> store.apply(new ExtentEpoch(pid, m.epoch()),
            new Mutation(m.gen(), m.epoch(), r.getOffset(), r.getLength(), WriteKind.WRITE, data), true);
        case CORRUPT_CRC -> store.corruptBlocks(pid, r.getOffset(), r.getLength());
        default -> throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "unknown mutation " + r.getMutation());
      }
      log.warn("test mutation applied pid={} gen={} mutation={} offset={} length={}", pid, m.gen(),
          r.getMutation(), r.getOffset(), r.getLength());
      return CompletableFuture.completedFuture(Reply.of(Envelope.newBuilder()
          .setMutateReplicaResponse(MutateReplicaResponse.getDefaultInstance())));
    });
  }
}
