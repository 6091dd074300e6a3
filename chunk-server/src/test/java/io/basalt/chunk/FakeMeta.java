package io.basalt.chunk;

import com.codahale.metrics.MetricRegistry;
import io.basalt.proto.ExtentState;
import io.basalt.proto.HeldLease;
import io.basalt.proto.KeepAliveResponse;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.ExtentResponse;
import io.basalt.proto.RecoveryProgress;
import io.basalt.proto.RecoveryTask;
import io.basalt.proto.RecoveryThrottle;
import io.basalt.proto.RegisterChunkRequest;
import io.basalt.proto.RegisterChunkResponse;
import io.basalt.proto.ReportReplicasResponse;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.Frame;
import io.basalt.rpc.NotOwnerException;
import io.basalt.rpc.Reply;
import io.basalt.rpc.RpcHandler;
import io.basalt.rpc.RpcServer;
import io.basalt.rpc.StaleEpochException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * In-test meta server: RegisterChunk, KeepAlive (one session per chunk that never expires), ReportReplicas, GetExtent and AcquireLease over in-memory
 * maps, with the lease semantics of meta.proto (a member is granted when there is no owner or it is the owner,
 * epoch + 1 per grant). Thread-safe (one lock; handlers never block).
 */
final class FakeMeta implements AutoCloseable {
  record Extent(long pid, List<Integer> replicas, long epoch, int owner, long size, long ownerSession,
      int recovering, long recoveryEpoch) {
    Extent(long pid, List<Integer> replicas, long epoch, int owner, long size) {
      this(pid, replicas, epoch, owner, size, owner == 0 ? 0 : 1000L + owner, 0, 0);
    }

    Extent(long pid, List<Integer> replicas, long epoch, int owner, long size, long ownerSession) {
      this(pid, replicas, epoch, owner, size, ownerSession, 0, 0);
    }

    Extent withRecovering(int cid, long atEpoch) {
      return new Extent(pid, replicas, atEpoch, owner, size, ownerSession, cid, cid == 0 ? 0 : atEpoch);
    }
  }

  /**
   * ReplicaFailed reports received, and whether they are refused (UNAVAILABLE, retryable). Refused by default: the
   * tests written before ReplicaFailed existed expect a stopped peer to hold writes until it returns.
   */
  private final List<Integer> replicaFailedReports = new ArrayList<>();
  /** ReplicaQuarantined reports received, as "pid/cid"; taken at once (the member leaves, with the lease if owner). */
  private final List<String> quarantineReports = new ArrayList<>();
  private boolean refuseReplicaFailed = true;
  private boolean listRecoveryTasks = true;
  private boolean sendRefresh;
  private RecoveryThrottle throttle;
  private final Set<Long> gcPids = new HashSet<>();
  private final List<RecoveryProgress> progress = new ArrayList<>();

  private final Map<Integer, String> chunkAddresses = new HashMap<>();
  private final Map<Long, Extent> extents = new HashMap<>();
  private final Map<Integer, List<HeldLease>> reported = new HashMap<>();
  private final Set<Long> deleted = new HashSet<>();
  private final List<Integer> registrations = new ArrayList<>();
  private int heartbeats;
  private int nextCid = 1;
  private final RpcServer server;

  FakeMeta() {
    server = RpcServer.builder("fake-meta").bind("127.0.0.1", 0).metrics(new MetricRegistry())
        .handle(Envelope.BodyCase.REGISTER_CHUNK, h(this::register))
        .handle(Envelope.BodyCase.KEEP_ALIVE, h(this::keepAlive))
        .handle(Envelope.BodyCase.REPLICA_FAILED, h(this::replicaFailed))
        .handle(Envelope.BodyCase.REPLICA_QUARANTINED, h(this::replicaQuarantined))
        .handle(Envelope.BodyCase.RECOVERY_DONE, h(this::recoveryDone))
        .handle(Envelope.BodyCase.REPORT_REPLICAS, h(this::report))
        .handle(Envelope.BodyCase.GET_EXTENT, h(e -> extentResponse(extent(e.getGetExtent().getPid()))))
        .handle(Envelope.BodyCase.ACQUIRE_LEASE, h(this::acquire))
        .build().start();
  }

  String address() {
    return server.address();
  }

  synchronized void createExtent(long pid, List<Integer> replicas, long size) {
    extents.put(pid, new Extent(pid, List.copyOf(replicas), 1, 0, size));
  }

  synchronized Extent extent(long pid) {
    Extent x = extents.get(pid);
    if (x == null) throw new BasaltException(ErrorCode.NO_SUCH_EXTENT, "no extent pid=" + pid);
    return x;
  }

  /** Drops the owner (as if its lease expired); the next AcquireLease grants at epoch + 1. */
  synchronized void releaseLease(long pid) {
    Extent x = extent(pid);
    extents.put(pid, new Extent(pid, x.replicas(), x.epoch(), 0, x.size(), 0, x.recovering(), x.recoveryEpoch()));
  }

  /** Grants the lease to {@code cid} at epoch + 1 without that chunk asking (it learns from its peers or meta). */
  synchronized void grantLease(long pid, int cid) {
    Extent x = extent(pid);
    extents.put(pid, new Extent(pid, x.replicas(), x.epoch() + 1, cid, x.size(), 1000L + cid, x.recovering(),
        x.recoveryEpoch()));
  }

  /** Drops {@code cid} from the membership and the owner, epoch + 1 (as meta does when a session expires). */
  synchronized void removeReplica(long pid, int cid) {
    Extent x = extent(pid);
    List<Integer> replicas = new ArrayList<>(x.replicas());
    replicas.remove(Integer.valueOf(cid));
    extents.put(pid, new Extent(pid, List.copyOf(replicas), x.epoch() + 1, 0, x.size()));
  }

  /** Names {@code cid} the recovering member of pid (epoch + 1 = its recovery epoch); 0 drops the target. */
  synchronized long setRecovering(long pid, int cid) {
    Extent x = extent(pid);
    extents.put(pid, x.withRecovering(cid, x.epoch() + 1));
    return x.epoch() + 1;
  }

  synchronized void refuseReplicaFailed(boolean refuse) {
    refuseReplicaFailed = refuse;
  }

  synchronized List<Integer> replicaFailedReports() {
    return List.copyOf(replicaFailedReports);
  }

  /** Keepalive answers name held leases whose epoch moved (refresh_pids), as the real meta does. Off by default. */
  synchronized void sendRefresh(boolean on) {
    sendRefresh = on;
  }

  synchronized void listRecoveryTasks(boolean list) {
    listRecoveryTasks = list;
  }

  synchronized void throttle(long bytesPerSec) {
    throttle = RecoveryThrottle.newBuilder().setBytesPerSec(bytesPerSec).setPerChunk(4).build();
  }

  synchronized void gc(long pid) {
    gcPids.add(pid);
  }

  /** The last recovery progress reported by any chunk. */
  synchronized List<RecoveryProgress> progress() {
    return List.copyOf(progress);
  }

  /** The leases {@code cid} reported in its last keepalive. */
  synchronized List<HeldLease> reportedLeases(int cid) {
    return reported.getOrDefault(cid, List.of());
  }

  private synchronized Envelope.Builder keepAlive(Envelope e) {
    var req = e.getKeepAlive();
    int cid = req.getCid();
    heartbeats++;
    reported.put(cid, List.copyOf(req.getLeasesList()));
    if (req.getRecoveriesCount() > 0) {
      progress.clear();
      progress.addAll(req.getRecoveriesList());
    }
    KeepAliveResponse.Builder b = KeepAliveResponse.newBuilder().setSessionUuid("session-" + cid)
        .setSessionEpoch(1000L + cid).setSessionTimeoutMs(10_000);
    for (HeldLease l : sendRefresh ? req.getLeasesList() : List.<HeldLease>of()) {
      Extent x = extents.get(l.getPid());
      if (x != null && x.epoch() > l.getEpoch()) b.addRefreshPids(l.getPid());
    }
    if (listRecoveryTasks) {
      for (Extent x : extents.values()) {
        if (x.recovering() == cid) {
          b.addRecoveryTasks(RecoveryTask.newBuilder().setPid(x.pid())
              .setRecoveryEpoch(x.recoveryEpoch()).setExtentSize(x.size()));
        }
      }
    }
    if (throttle != null) b.setRecoveryThrottle(throttle);
    return Envelope.newBuilder().setKeepAliveResponse(b);
  }

  private synchronized Envelope.Builder replicaFailed(Envelope e) {
    var r = e.getReplicaFailed();
    replicaFailedReports.add(r.getFailedCid());
    Extent x = extent(r.getPid());
    if (r.getEpoch() != x.epoch()) {
      throw new StaleEpochException(x.epoch(), "replica failed at epoch=" + r.getEpoch());
    }
    if (r.getOwnerCid() != x.owner()) {
      throw new NotOwnerException(x.owner(), "", "not the owner");
    }
    if (refuseReplicaFailed) {
      throw new BasaltException(ErrorCode.UNAVAILABLE, "refused: too few members", true);
    }
    if (r.getFailedCid() == x.recovering()) {
      x = x.withRecovering(0, x.epoch() + 1);
    } else if (x.replicas().contains(r.getFailedCid())) {
      List<Integer> replicas = new ArrayList<>(x.replicas());
      replicas.remove(Integer.valueOf(r.getFailedCid()));
      x = new Extent(x.pid(), List.copyOf(replicas), x.epoch() + 1, x.owner(), x.size(), x.ownerSession(),
          x.recovering(), x.recoveryEpoch());
    }
    extents.put(x.pid(), x);
    return extentResponse(x);
  }

  synchronized List<String> quarantineReports() {
    return List.copyOf(quarantineReports);
  }

  private synchronized Envelope.Builder replicaQuarantined(Envelope e) {
    var r = e.getReplicaQuarantined();
    quarantineReports.add(r.getPid() + "/" + r.getCid());
    Extent x = extent(r.getPid());
    if (x.replicas().contains(r.getCid())) {
      List<Integer> replicas = new ArrayList<>(x.replicas());
      replicas.remove(Integer.valueOf(r.getCid()));
      boolean owner = x.owner() == r.getCid();
      x = new Extent(x.pid(), List.copyOf(replicas), x.epoch() + 1, owner ? 0 : x.owner(), x.size(),
          owner ? 0 : x.ownerSession(), x.recovering(), x.recoveryEpoch());
      extents.put(x.pid(), x);
    }
    return extentResponse(x);
  }

  private synchronized Envelope.Builder recoveryDone(Envelope e) {
    var r = e.getRecoveryDone();
    Extent x = extent(r.getPid());
    if (x.replicas().contains(r.getCid())) return extentResponse(x); // idempotent
    if (x.recovering() != r.getCid() || x.recoveryEpoch() != r.getRecoveryEpoch()) {
      throw new StaleEpochException(x.epoch(), "not the target of recovery epoch="
          + r.getRecoveryEpoch());
    }
    List<Integer> replicas = new ArrayList<>(x.replicas());
    replicas.add(r.getCid());
    x = new Extent(x.pid(), List.copyOf(replicas), x.epoch() + 1, x.owner(), x.size(), x.ownerSession(), 0, 0);
    extents.put(x.pid(), x);
    return extentResponse(x);
  }

  synchronized void deleteExtent(long pid) {
    extents.remove(pid);
    deleted.add(pid);
  }

  synchronized List<Integer> registrations() {
    return List.copyOf(registrations);
  }

  synchronized int heartbeats() {
    return heartbeats;
  }

  private synchronized Envelope.Builder register(Envelope e) {
    RegisterChunkRequest r = e.getRegisterChunk();
    int cid = r.getCid() == 0 ? nextCid++ : r.getCid();
    chunkAddresses.put(cid, r.getAddress());
    registrations.add(cid);
    return Envelope.newBuilder().setRegisterChunkResponse(
        RegisterChunkResponse.newBuilder().setCid(cid).setClusterId("test-cluster"));
  }

  private synchronized Envelope.Builder report(Envelope e) {
    ReportReplicasResponse.Builder b = ReportReplicasResponse.newBuilder();
    for (long pid : e.getReportReplicas().getPidsList()) {
      if (deleted.contains(pid)) b.addDeletedPids(pid);
      if (gcPids.contains(pid)) b.addGcPids(pid);
    }
    return Envelope.newBuilder().setReportReplicasResponse(b);
  }

  private synchronized Envelope.Builder acquire(Envelope e) {
    long pid = e.getAcquireLease().getPid();
    int cid = e.getAcquireLease().getCid();
    Extent x = extent(pid);
    if (x.replicas().contains(cid) && (x.owner() == 0 || x.owner() == cid)) {
      x = new Extent(pid, x.replicas(), x.epoch() + 1, cid, x.size(), 1000L + cid, x.recovering(),
          x.recoveryEpoch());
      extents.put(pid, x);
    }
    return extentResponse(x);
  }

  private synchronized Envelope.Builder extentResponse(Extent x) {
    ExtentInfo.Builder b = ExtentInfo.newBuilder().setPid(x.pid()).setEpoch(x.epoch()).setOwnerCid(x.owner())
        .setExtentSize(x.size()).addAllReplicas(x.replicas());
    for (int cid : x.replicas()) b.addReplicaAddresses(chunkAddresses.getOrDefault(cid, ""));
    b.setOwnerSession(x.ownerSession());
    if (x.recovering() != 0) {
      b.setRecoveringCid(x.recovering()).setRecoveryEpoch(x.recoveryEpoch())
          .setRecoveringAddress(chunkAddresses.getOrDefault(x.recovering(), ""));
      b.setState(ExtentState.EXTENT_RECOVERING);
    }
    return Envelope.newBuilder().setExtentResponse(ExtentResponse.newBuilder().setExtent(b));
  }

  private static RpcHandler h(Function<Envelope, Envelope.Builder> f) {
    return (Frame req) -> {
      try {
        return CompletableFuture.completedFuture(Reply.of(f.apply(req.header())));
      } catch (RuntimeException ex) {
        return CompletableFuture.failedFuture(ex);
      }
    };
  }

  @Override
  public void close() {
    server.close();
  }
}
