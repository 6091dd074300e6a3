package io.basalt.chunk;

import com.codahale.metrics.MetricRegistry;
import io.basalt.proto.KeepAliveResponse;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.ExtentResponse;
import io.basalt.proto.RegisterChunkRequest;
import io.basalt.proto.RegisterChunkResponse;
import io.basalt.proto.ReportReplicasResponse;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.Frame;
import io.basalt.rpc.Reply;
import io.basalt.rpc.RpcServer;
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
  record Extent(long pid, List<Integer> replicas, long epoch, int owner, long size, long ownerSession) {
    Extent(long pid, List<Integer> replicas, long epoch, int owner, long size) {
      this(pid, replicas, epoch, owner, size, owner == 0 ? 0 : 1000L + owner);
    }
  }

  private final Map<Integer, String> chunkAddresses = new HashMap<>();
  private final Map<Long, Extent> extents = new HashMap<>();
  private final Set<Long> deleted = new HashSet<>();
  private final List<Integer> registrations = new ArrayList<>();
  private int heartbeats;
  private int nextCid = 1;
  private final RpcServer server;

  FakeMeta() {
    server = RpcServer.builder("fake-meta").bind("127.0.0.1", 0).metrics(new MetricRegistry())
        .handle(Envelope.BodyCase.REGISTER_CHUNK, h(this::register))
        .handle(Envelope.BodyCase.KEEP_ALIVE, h(e -> {
          int cid = e.getKeepAlive().getCid();
          synchronized (this) {
            heartbeats++;
          }
          return Envelope.newBuilder().setKeepAliveResponse(KeepAliveResponse.newBuilder()
              .setSessionUuid("session-" + cid).setSessionEpoch(1000L + cid).setSessionTimeoutMs(10_000));
        }))
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
    extents.put(pid, new Extent(pid, x.replicas(), x.epoch(), 0, x.size()));
  }

  /** Grants the lease to {@code cid} at epoch + 1 without that chunk asking (it learns from its peers or meta). */
  synchronized void grantLease(long pid, int cid) {
    Extent x = extent(pid);
    extents.put(pid, new Extent(pid, x.replicas(), x.epoch() + 1, cid, x.size()));
  }

  /** Drops {@code cid} from the membership and the owner, epoch + 1 (as meta does when a session expires). */
  synchronized void removeReplica(long pid, int cid) {
    Extent x = extent(pid);
    List<Integer> replicas = new ArrayList<>(x.replicas());
    replicas.remove(Integer.valueOf(cid));
    extents.put(pid, new Extent(pid, List.copyOf(replicas), x.epoch() + 1, 0, x.size()));
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
    }
    return Envelope.newBuilder().setReportReplicasResponse(b);
  }

  private synchronized Envelope.Builder acquire(Envelope e) {
    long pid = e.getAcquireLease().getPid();
    int cid = e.getAcquireLease().getCid();
    Extent x = extent(pid);
    if (x.replicas().contains(cid) && (x.owner() == 0 || x.owner() == cid)) {
      x = new Extent(pid, x.replicas(), x.epoch() + 1, cid, x.size());
      extents.put(pid, x);
    }
    return extentResponse(x);
  }

  private synchronized Envelope.Builder extentResponse(Extent x) {
    ExtentInfo.Builder b = ExtentInfo.newBuilder().setPid(x.pid()).setEpoch(x.epoch()).setOwnerCid(x.owner())
        .setExtentSize(x.size()).addAllReplicas(x.replicas());
    for (int cid : x.replicas()) b.addReplicaAddresses(chunkAddresses.getOrDefault(cid, ""));
    b.setOwnerSession(x.ownerSession());
    return Envelope.newBuilder().setExtentResponse(ExtentResponse.newBuilder().setExtent(b));
  }

  private static io.basalt.rpc.RpcHandler h(Function<Envelope, Envelope.Builder> f) {
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
