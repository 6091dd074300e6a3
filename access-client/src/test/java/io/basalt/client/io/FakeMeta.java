package io.basalt.client.io;

import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.ExtentResponse;
import io.basalt.proto.GetExtentsRequest;
import io.basalt.proto.GetExtentsResponse;
import io.basalt.proto.ListVolumesResponse;
import io.basalt.proto.VolumeInfo;
import io.basalt.proto.VolumeResponse;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.Reply;
import io.basalt.rpc.RpcServer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * An in-memory meta server on 127.0.0.1 port 0: volumes by name, extents placed on the fake chunks (extent i starts
 * at chunk i mod n, so owners differ between neighbouring extents), per-call counters and an allocation gate.
 */
final class FakeMeta implements AutoCloseable {
  private final List<FakeChunk> chunks;
  private final Map<String, VolumeInfo> volumes = new ConcurrentHashMap<>();
  private final Map<String, ExtentInfo> extents = new ConcurrentHashMap<>();
  private final Map<Long, String> keyByPid = new ConcurrentHashMap<>();
  private final AtomicLong nextPid = new AtomicLong(100);
  private final AtomicLong nextVid = new AtomicLong(1);
  final AtomicInteger allocateCalls = new AtomicInteger();
  final AtomicInteger getExtentCalls = new AtomicInteger();
  final AtomicInteger getExtentsCalls = new AtomicInteger();
  /** The allocated_after of every GetExtents that had one, in arrival order. */
  final List<Long> allocatedAfter = new CopyOnWriteArrayList<>();
  /** GetExtents answers (computed on arrival) are delivered only once this completes. */
  volatile CompletableFuture<Void> extentsGate = CompletableFuture.completedFuture(null);
  /** AllocateExtent answers only once this completes (to hold concurrent first writes in flight). */
  volatile CompletableFuture<Void> allocateGate = CompletableFuture.completedFuture(null);
  private final RpcServer server;

  FakeMeta(List<FakeChunk> chunks) {
    this.chunks = chunks;
    this.server = RpcServer.builder("fake-meta").bind("127.0.0.1", 0)
        .handle(Envelope.BodyCase.GET_VOLUME, req -> reply(() -> Envelope.newBuilder().setVolumeResponse(
            VolumeResponse.newBuilder().setVolume(volume(req.header().getGetVolume().getName())))))
        .handle(Envelope.BodyCase.LIST_VOLUMES, req -> reply(() -> Envelope.newBuilder().setListVolumesResponse(
            ListVolumesResponse.newBuilder().addAllVolumes(volumes.values()))))
        .handle(Envelope.BodyCase.GET_EXTENTS, req -> {
          // Answered as of its arrival, delivered when the gate opens (a lookup meta answered before a change).
          CompletableFuture<Reply> now = reply(() -> getExtents(req.header().getGetExtents()));
          return extentsGate.thenCompose(x -> now);
        })
        .handle(Envelope.BodyCase.ALLOCATE_EXTENT, req -> allocateGate.thenApply(x -> {
          allocateCalls.incrementAndGet();
          var r = req.header().getAllocateExtent();
          ExtentInfo e = extents.computeIfAbsent(key(r.getVid(), r.getIndex()), k -> place(r.getVid(), r.getIndex()));
          return Reply.of(Envelope.newBuilder().setExtentResponse(ExtentResponse.newBuilder().setExtent(e)));
        }))
        .handle(Envelope.BodyCase.GET_EXTENT, req -> reply(() -> {
          getExtentCalls.incrementAndGet();
          return Envelope.newBuilder().setExtentResponse(ExtentResponse.newBuilder()
              .setExtent(byPid(req.header().getGetExtent().getPid())));
        }))
        .build().start();
  }

  private Envelope.Builder getExtents(GetExtentsRequest r) {
    getExtentsCalls.incrementAndGet();
    if (r.hasAllocatedAfter()) {
      allocatedAfter.add(r.getAllocatedAfter());
    }
    VolumeInfo v = volume(r.getVolume());
    long max = r.getMaxCount() == 0 ? Long.MAX_VALUE : r.getMaxCount();
    GetExtentsResponse.Builder b = GetExtentsResponse.newBuilder().setVolume(v).setMapVersion(nextPid.get() - 1);
    var mine = extents.values().stream().filter(e -> e.getVid() == v.getVid());
    mine = r.hasAllocatedAfter()
        ? mine.filter(e -> e.getPid() > r.getAllocatedAfter()).sorted(Comparator.comparingLong(ExtentInfo::getPid))
        : mine.filter(e -> e.getIndex() >= r.getFirstIndex()).sorted(Comparator.comparingInt(ExtentInfo::getIndex));
    List<ExtentInfo> found = mine.toList();
    found.stream().limit(max).forEach(b::addExtents);
    if (found.size() > max) {
      b.setMore(true);
      if (r.hasAllocatedAfter()) {
        b.setMapVersion(b.getExtents(b.getExtentsCount() - 1).getPid());
      }
    }
    return Envelope.newBuilder().setGetExtentsResponse(b);
  }

  /** Grows (or sets) a volume's size, as a resize by another client does. */
  VolumeInfo resize(String name, long size) {
    return volumes.computeIfPresent(name, (n, v) -> v.toBuilder().setSizeBytes(size).build());
  }

  /** Deletes a volume and its extents. */
  void delete(String name) {
    VolumeInfo v = volumes.remove(name);
    extents.values().removeIf(e -> e.getVid() == v.getVid());
  }

  String address() {
    return server.address();
  }

  VolumeInfo addVolume(String name, long size, long extentSize, int replicas) {
    VolumeInfo v = VolumeInfo.newBuilder().setVid(nextVid.getAndIncrement()).setName(name).setSizeBytes(size)
        .setExtentSize(extentSize).setReplicas(replicas).build();
    volumes.put(name, v);
    return v;
  }

  /** The extent as meta has it, or null when unallocated. */
  ExtentInfo extent(long vid, int index) {
    return extents.get(key(vid, index));
  }

  /** Allocates directly (as another client would) without this client hearing of it. */
  ExtentInfo allocate(long vid, int index) {
    return extents.computeIfAbsent(key(vid, index), k -> place(vid, index));
  }

  /** Changes the lease owner (0 = none) and bumps the epoch, as meta does on every owner change. */
  ExtentInfo setOwner(long pid, int ownerCid) {
    return extents.compute(keyByPid.get(pid), (k, e) -> e.toBuilder().setOwnerCid(ownerCid)
        .setEpoch(e.getEpoch() + 1).build());
  }

  ExtentInfo byPid(long pid) {
    String k = keyByPid.get(pid);
    if (k == null) {
      throw new BasaltException(ErrorCode.NO_SUCH_EXTENT, "no pid " + pid, false);
    }
    return extents.get(k);
  }

  private ExtentInfo place(long vid, int index) {
    VolumeInfo v = volumes.values().stream().filter(x -> x.getVid() == vid).findFirst()
        .orElseThrow(() -> new BasaltException(ErrorCode.NO_SUCH_VOLUME, "no vid " + vid, false));
    long pid = nextPid.getAndIncrement();
    ExtentInfo.Builder b = ExtentInfo.newBuilder().setIndex(index).setPid(pid).setVid(vid).setEpoch(1)
        .setExtentSize(v.getExtentSize());
    List<FakeChunk> members = new ArrayList<>();
    for (int i = 0; i < Math.min(v.getReplicas(), chunks.size()); i++) {
      members.add(chunks.get((index + i) % chunks.size()));
    }
    members.forEach(c -> b.addReplicas(c.cid()).addReplicaAddresses(c.address()));
    b.setOwnerCid(members.get(0).cid());
    keyByPid.put(pid, key(vid, index));
    return b.build();
  }

  private VolumeInfo volume(String name) {
    VolumeInfo v = volumes.get(name);
    if (v == null) {
      throw new BasaltException(ErrorCode.NO_SUCH_VOLUME, "no volume named " + name, false);
    }
    return v;
  }

  private static String key(long vid, int index) {
    return vid + "/" + index;
  }

  private static CompletableFuture<Reply> reply(Supplier<Envelope.Builder> body) {
    try {
      return CompletableFuture.completedFuture(Reply.of(body.get()));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public void close() {
    server.close();
  }
}
