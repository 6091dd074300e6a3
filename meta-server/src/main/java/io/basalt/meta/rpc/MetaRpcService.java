package io.basalt.meta.rpc;

import io.basalt.failpoint.Failpoints;
import io.basalt.meta.placement.ChunkOps;
import io.basalt.meta.recovery.RecoveryAdminOps;
import io.basalt.meta.recovery.RecoveryOps;
import io.basalt.meta.scrub.ScrubAdminOps;
import io.basalt.meta.session.SessionOps;
import io.basalt.meta.volume.ExtentOps;
import io.basalt.meta.volume.VolumeOps;
import io.basalt.proto.Envelope;
import io.basalt.proto.Envelope.BodyCase;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.ExtentResponse;
import io.basalt.proto.SetFailpointResponse;
import io.basalt.proto.VolumeInfo;
import io.basalt.proto.VolumeResponse;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.Frame;
import io.basalt.rpc.NotLeaderException;
import io.basalt.rpc.Reply;
import io.basalt.rpc.ReplyStamp;
import io.basalt.rpc.RpcHandler;
import io.basalt.rpc.RpcServer;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The meta RPC endpoint: one handler per request kind, each a thin adapter from the envelope body to an
 * operation in {@link ChunkOps}, {@link VolumeOps}, {@link ExtentOps}, {@link SessionOps},
 * {@link RecoveryOps} or {@link RecoveryAdminOps}. Handlers run on Netty event loops and
 * never block: operations hop onto the MetaLoop and complete there. Errors travel as failed futures
 * ({@link BasaltException}, {@link NotLeaderException}); the RPC server turns them into replies.
 * Until {@link #attach} (the RPC server starts before the election, since its address is the election id) every
 * request is answered NOT_READY.
 */
public final class MetaRpcService {
  /** The operations behind the handlers. */
  public record Ops(ChunkOps chunks, VolumeOps volumes, ExtentOps extents, SessionOps sessions,
      RecoveryOps recovery, RecoveryAdminOps recoveryAdmin, ScrubAdminOps scrubAdmin) {
    /** Without recovery and scrub operations (their requests are answered NOT_READY). */
    public Ops(ChunkOps chunks, VolumeOps volumes, ExtentOps extents, SessionOps sessions) {
      this(chunks, volumes, extents, sessions, null, null, null);
    }

    /** Without scrub operations (their requests are answered NOT_READY). */
    public Ops(ChunkOps chunks, VolumeOps volumes, ExtentOps extents, SessionOps sessions, RecoveryOps recovery,
        RecoveryAdminOps recoveryAdmin) {
      this(chunks, volumes, extents, sessions, recovery, recoveryAdmin, null);
    }
  }

  private volatile Ops ops;
  private final boolean testMode;
  private final Failpoints failpoints;

  public MetaRpcService() {
    this(false, new Failpoints());
  }

  public MetaRpcService(boolean testMode, Failpoints failpoints) {
    this.testMode = testMode;
    this.failpoints = failpoints;
  }

  public void attach(Ops ops) {
    this.ops = ops;
  }

  /** Adds every meta handler to {@code server}. */
  public RpcServer.Builder register(RpcServer.Builder server) {
    handle(server, BodyCase.REGISTER_CHUNK, (o, h) -> o.chunks().register(h.getRegisterChunk()),
        Envelope.Builder::setRegisterChunkResponse);
    handle(server, BodyCase.KEEP_ALIVE, (o, h) -> {
      // Test hook (TESTPLAN F06): delayed keepalive handling, the seed incident's "delayed RPC".
      failpoints.inject("meta.keepalive.handle");
      return o.sessions().keepAlive(h.getKeepAlive());
    }, Envelope.Builder::setKeepAliveResponse);
    handle(server, BodyCase.LIST_SESSIONS, (o, h) -> o.sessions().list(), Envelope.Builder::setListSessionsResponse);
    handle(server, BodyCase.CLUSTER_STATUS, (o, h) -> o.sessions().status(),
        Envelope.Builder::setClusterStatusResponse);
    handle(server, BodyCase.CONFIRM_EXPIRY, (o, h) -> o.sessions().confirmExpiry(),
        Envelope.Builder::setConfirmExpiryResponse);
    handle(server, BodyCase.RELEASE_LEASE, (o, h) -> o.sessions().release(h.getReleaseLease()),
        MetaRpcService::extent);
    handle(server, BodyCase.REPORT_REPLICAS, (o, h) -> o.chunks().reportReplicas(h.getReportReplicas()),
        Envelope.Builder::setReportReplicasResponse);
    handle(server, BodyCase.LIST_CHUNKS, (o, h) -> o.chunks().listChunks(),
        Envelope.Builder::setListChunksResponse);
    handle(server, BodyCase.CREATE_VOLUME, (o, h) -> o.volumes().create(h.getCreateVolume()), MetaRpcService::volume);
    handle(server, BodyCase.GET_VOLUME, (o, h) -> o.volumes().get(h.getGetVolume().getName()), MetaRpcService::volume);
    handle(server, BodyCase.LIST_VOLUMES, (o, h) -> o.volumes().list(), Envelope.Builder::setListVolumesResponse);
    handle(server, BodyCase.DELETE_VOLUME, (o, h) -> o.volumes().delete(h.getDeleteVolume().getName()),
        Envelope.Builder::setDeleteVolumeResponse);
    handle(server, BodyCase.RESIZE_VOLUME, (o, h) -> o.volumes().resize(h.getResizeVolume()), MetaRpcService::volume);
    handle(server, BodyCase.GET_EXTENTS, (o, h) -> o.volumes().getExtents(h.getGetExtents()),
        Envelope.Builder::setGetExtentsResponse);
    handle(server, BodyCase.ALLOCATE_EXTENT, (o, h) -> o.extents().allocate(h.getAllocateExtent()),
        MetaRpcService::extent);
    handle(server, BodyCase.GET_EXTENT, (o, h) -> o.extents().get(h.getGetExtent().getPid()), MetaRpcService::extent);
    handle(server, BodyCase.ACQUIRE_LEASE, (o, h) -> o.extents().acquireLease(h.getAcquireLease()),
        MetaRpcService::extent);
    handle(server, BodyCase.REPLICA_FAILED, (o, h) -> recovery(o).replicaFailed(h.getReplicaFailed()),
        MetaRpcService::extent);
    handle(server, BodyCase.REPLICA_QUARANTINED,
        (o, h) -> recovery(o).replicaQuarantined(h.getReplicaQuarantined()), MetaRpcService::extent);
    handle(server, BodyCase.RECOVERY_DONE, (o, h) -> recovery(o).recoveryDone(h.getRecoveryDone()),
        MetaRpcService::extent);
    handle(server, BodyCase.LIST_RECOVERIES, (o, h) -> recoveryAdmin(o).list(),
        Envelope.Builder::setListRecoveriesResponse);
    handle(server, BodyCase.SET_RECOVERY_THROTTLE,
        (o, h) -> recoveryAdmin(o).setThrottle(h.getSetRecoveryThrottle()),
        Envelope.Builder::setSetRecoveryThrottleResponse);
    handle(server, BodyCase.LIST_SCRUB, (o, h) -> scrubAdmin(o).list(h.getListScrub()),
        Envelope.Builder::setListScrubResponse);
    handle(server, BodyCase.START_SCRUB, (o, h) -> scrubAdmin(o).start(h.getStartScrub()),
        Envelope.Builder::setStartScrubResponse);
    handle(server, BodyCase.GET_SCRUB_THROTTLE, (o, h) -> scrubAdmin(o).getThrottle(),
        Envelope.Builder::setScrubThrottleResponse);
    handle(server, BodyCase.SET_SCRUB_THROTTLE, (o, h) -> scrubAdmin(o).setThrottle(h.getSetScrubThrottle()),
        Envelope.Builder::setScrubThrottleResponse);
    server.handle(BodyCase.SET_FAILPOINT, this::setFailpoint);
    return server;
  }

  /** Test-only: refused unless the server runs with --test-mode (never damage a production meta). */
  private CompletableFuture<Reply> setFailpoint(Frame f) {
    if (!testMode) {
      return CompletableFuture.failedFuture(new BasaltException(
          ErrorCode.TEST_ONLY, "test-only admin call refused: meta not started with --test-mode"));
    }
    var r = f.header().getSetFailpoint();
    try {
      failpoints.set(r.getName(), r.getAction());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return CompletableFuture.completedFuture(Reply.of(Envelope.newBuilder()
        .setSetFailpointResponse(SetFailpointResponse.newBuilder().addAllActive(failpoints.list()))));
  }

  private static RecoveryOps recovery(Ops o) {
    if (o.recovery() == null) {
      throw new BasaltException(ErrorCode.NOT_READY, "recovery is not wired on this meta server", true);
    }
    return o.recovery();
  }

  private static RecoveryAdminOps recoveryAdmin(Ops o) {
    if (o.recoveryAdmin() == null) {
      throw new BasaltException(ErrorCode.NOT_READY, "recovery is not wired on this meta server", true);
    }
    return o.recoveryAdmin();
  }

  private static ScrubAdminOps scrubAdmin(Ops o) {
    if (o.scrubAdmin() == null) {
      throw new BasaltException(ErrorCode.NOT_READY, "scrub is not wired on this meta server", true);
    }
    return o.scrubAdmin();
  }

  private static void volume(Envelope.Builder b, VolumeInfo v) {
    b.setVolumeResponse(VolumeResponse.newBuilder().setVolume(v));
  }

  private static void extent(Envelope.Builder b, ExtentInfo e) {
    b.setExtentResponse(ExtentResponse.newBuilder().setExtent(e));
  }

  /** An operation taking the request header. */
  private interface Call<T> {
    CompletableFuture<T> call(Ops ops, Envelope header);
  }

  private <T> void handle(RpcServer.Builder server, BodyCase method, Call<T> call,
      BiConsumer<Envelope.Builder, T> answer) {
    server.handle(method, handler(call, result -> {
      Envelope.Builder b = Envelope.newBuilder();
      answer.accept(b, result);
      return Reply.of(b);
    }));
  }

  /**
   * The stamp of every reply, OK and error ({@code meta_epoch}): the epoch the server led under when the request
   * was dispatched, else (it did not lead then) the one it leads under when answering, 0 when not leading. The
   * dispatch epoch wins so an answer decided under epoch N still says N when leadership ends before the reply is
   * written: a client that has seen a newer epoch refuses it.
   */
  public static ReplyStamp epochStamp(LongSupplier epoch) {
    return () -> {
      long atDispatch = epoch.getAsLong();
      return reply -> reply.setMetaEpoch(atDispatch != 0 ? atDispatch : epoch.getAsLong());
    };
  }

  private <T> RpcHandler handler(Call<T> call, Function<T, Reply> reply) {
    return (Frame request) -> {
      Ops o = ops;
      if (o == null) {
        return CompletableFuture.failedFuture(
            new BasaltException(ErrorCode.NOT_READY, "meta server is starting", true));
      }
      try {
        return call.call(o, request.header()).thenApply(reply);
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    };
  }
}
