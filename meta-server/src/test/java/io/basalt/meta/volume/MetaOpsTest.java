package io.basalt.meta.volume;

import static io.basalt.meta.MetaTestSupport.awaitActive;
import static io.basalt.meta.MetaTestSupport.config;
import static io.basalt.meta.MetaTestSupport.awaitGraceOver;
import static io.basalt.meta.MetaTestSupport.failure;
import static io.basalt.meta.MetaTestSupport.openSession;
import static io.basalt.meta.MetaTestSupport.registerChunks;
import static io.basalt.meta.MetaTestSupport.startCore;
import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.meta.MetaCore;
import io.basalt.meta.MetaTestSupport;
import io.basalt.meta.store.ZkPaths;
import io.basalt.meta.zk.EmbeddedZooKeeper;
import io.basalt.proto.AcquireLeaseRequest;
import io.basalt.proto.AllocateExtentRequest;
import io.basalt.proto.KeepAliveRequest;
import io.basalt.proto.ChunkInfo;
import io.basalt.proto.CreateVolumeRequest;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.GetExtentsRequest;
import io.basalt.proto.GetExtentsResponse;
import io.basalt.proto.PExtentPage;
import io.basalt.proto.RegisterChunkRequest;
import io.basalt.proto.ReleaseLeaseRequest;
import io.basalt.proto.ReportReplicasRequest;
import io.basalt.proto.ResizeVolumeRequest;
import io.basalt.proto.VolumeInfo;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.RequestDeadline;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Meta operations on one ACTIVE leader against a real embedded ZooKeeper. */
@Timeout(120)
class MetaOpsTest {
  static final long MIB = 1L << 20;
  @TempDir
  Path dir;
  EmbeddedZooKeeper zk;
  MetaCore core;

  @BeforeEach
  void start() {
    zk = EmbeddedZooKeeper.start(dir);
    core = awaitActive(startCore(config(zk.getConnectionString()), "127.0.0.1:7001"));
  }

  @AfterEach
  void stop() {
    core.close();
    zk.close();
  }

  static CreateVolumeRequest request(String name, long size, int replicas, long extentSize) {
    return CreateVolumeRequest.newBuilder().setName(name).setSizeBytes(size).setReplicas(replicas)
        .setExtentSize(extentSize).build();
  }

  VolumeInfo create(String name, long size, int replicas, long extentSize) {
    return core.volumes().create(request(name, size, replicas, extentSize)).join();
  }

  BasaltException createFails(String name, long size, int replicas, long extentSize) {
    return failure(core.volumes().create(request(name, size, replicas, extentSize)));
  }

  ExtentInfo allocate(long vid, int index, int preferred) {
    return core.extents().allocate(AllocateExtentRequest.newBuilder().setVid(vid).setIndex(index)
        .setPreferredCid(preferred).build()).join();
  }

  ExtentInfo lease(long pid, MetaTestSupport.TestSession s) {
    return MetaTestSupport.lease(core, pid, s);
  }

  @Test
  void createVolumeAppliesDefaultsAndRejectsBadParameters() {
    VolumeInfo v = create("vol-1.a_b", 10 * MIB, 0, 0);
    assertThat(v.getVid()).isEqualTo(1);
    assertThat(v.getReplicas()).isEqualTo(3);
    assertThat(v.getExtentSize()).isEqualTo(256 * MIB);
    assertThat(core.volumes().get("vol-1.a_b").join()).isEqualTo(v);

    assertThat(createFails("vol-1.a_b", 4096, 1, MIB)).satisfies(e -> {
      assertThat(e.code()).isEqualTo(ErrorCode.ALREADY_EXISTS);
      assertThat(e.getMessage()).contains("vol-1.a_b", "vid=1");
    });
    assertInvalid(createFails("bad name", 4096, 1, MIB), "name=\"bad name\"");
    assertInvalid(createFails("", 4096, 1, MIB), "name=\"\"");
    assertInvalid(createFails("x".repeat(65), 4096, 1, MIB), "name=");
    assertInvalid(createFails("v", 0, 1, MIB), "size_bytes=0");
    assertInvalid(createFails("v", 4097, 1, MIB), "size_bytes=4097");
    assertInvalid(createFails("v", 4096, 4, MIB), "replicas=4");
    assertInvalid(createFails("v", 4096, 1, 3 * MIB), "extent_size=3145728");
    assertInvalid(createFails("v", 4096, 1, MIB / 2), "extent_size=524288");
    assertInvalid(createFails("v", 4096, 1, 8L << 30), "extent_size=8589934592");
    assertThat(create("max-extent", 4096, 1, 4L << 30).getExtentSize()).isEqualTo(4L << 30);
    assertThat(core.volumes().list().join().getVolumesList()).extracting(VolumeInfo::getName)
        .containsExactly("vol-1.a_b", "max-extent");
    assertThat(failure(core.volumes().get("nope")).code()).isEqualTo(ErrorCode.NO_SUCH_VOLUME);
  }

  static void assertInvalid(BasaltException e, String fragment) {
    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(e.getMessage()).contains(fragment);
  }

  @Test
  void registerAssignsAndUpdatesChunks() {
    int[] cids = registerChunks(core, 2);
    assertThat(cids).containsExactly(1, 2);
    String clusterId = core.chunks().register(RegisterChunkRequest.newBuilder().setCid(1)
        .setAddress("127.0.0.1:9100").setZone("zz").build()).join().getClusterId();
    assertThat(clusterId).isNotBlank();
    List<ChunkInfo> chunks = core.chunks().listChunks().join().getChunksList();
    assertThat(chunks).extracting(ChunkInfo::getAddress).containsExactly("127.0.0.1:9100", "127.0.0.1:9002");
    assertThat(chunks.get(0).getZone()).isEqualTo("zz");
    assertThat(chunks.get(0).getLastSeenMs()).isBetween(0L, 10_000L);

    BasaltException unknown = failure(core.chunks().register(RegisterChunkRequest.newBuilder().setCid(99)
        .setAddress("127.0.0.1:1").build()));
    assertThat(unknown.code()).isEqualTo(ErrorCode.NO_SUCH_CHUNK);
    assertInvalid(failure(core.chunks().register(RegisterChunkRequest.newBuilder().setCid(1)
        .setClusterId("other-cluster").setAddress("127.0.0.1:1").build())), "cluster_id=other-cluster");
    assertThat(core.chunks().register(RegisterChunkRequest.newBuilder().setCid(2).setClusterId(clusterId)
        .setAddress("127.0.0.1:9002").setZone("z2").build()).join().getCid()).isEqualTo(2);
    assertThat(failure(core.sessions().keepAlive(KeepAliveRequest.newBuilder().setCid(5).build())).code())
        .isEqualTo(ErrorCode.NO_SUCH_CHUNK);
    core.sessions().keepAlive(KeepAliveRequest.newBuilder().setCid(2).setUsedBytes(777).build()).join();
    assertThat(core.chunks().listChunks().join().getChunks(1).getUsedBytes()).isEqualTo(777);
  }

  @Test
  void allocateIsIdempotentAndPlacesOnLiveChunks() {
    registerChunks(core, 4);
    VolumeInfo v = create("v", 8 * MIB, 3, MIB);
    ExtentInfo first = allocate(v.getVid(), 0, 4);
    assertThat(first.getReplicasList()).hasSize(3).doesNotHaveDuplicates().startsWith(4);
    assertThat(first.getReplicaAddressesList()).hasSize(3);
    for (int i = 0; i < 3; i++) {
      assertThat(first.getReplicaAddresses(i)).isEqualTo("127.0.0.1:" + (9000 + first.getReplicas(i)));
    }
    assertThat(first.getEpoch()).isEqualTo(1);
    assertThat(first.getOwnerCid()).isZero();
    assertThat(first.getExtentSize()).isEqualTo(MIB);
    assertThat(allocate(v.getVid(), 0, 1)).isEqualTo(first);
    ExtentInfo second = allocate(v.getVid(), 7, 0);
    assertThat(second.getPid()).isNotEqualTo(first.getPid());
    // least used: the chunk left out of the first extent is picked for the second
    assertThat(second.getReplicasList()).contains(
        List.of(1, 2, 3, 4).stream().filter(c -> !first.getReplicasList().contains(c)).findFirst().orElseThrow());
    assertThat(core.extents().get(second.getPid()).join()).isEqualTo(second);

    assertInvalid(failure(core.extents().allocate(AllocateExtentRequest.newBuilder().setVid(v.getVid())
        .setIndex(8).build())), "index=8");
    assertThat(failure(core.extents().allocate(AllocateExtentRequest.newBuilder().setVid(42).build())).code())
        .isEqualTo(ErrorCode.NO_SUCH_VOLUME);
    assertThat(failure(core.extents().get(999)).code()).isEqualTo(ErrorCode.NO_SUCH_EXTENT);
    assertThat(core.volumes().get("v").join().getAllocatedExtents()).isEqualTo(2);
    assertThat(core.chunks().listChunks().join().getChunksList()).extracting(ChunkInfo::getReplicaCount)
        .containsExactlyInAnyOrder(2, 2, 1, 1);
  }

  @Test
  void concurrentAllocationsOfOneIndexYieldOnePid() {
    registerChunks(core, 3);
    VolumeInfo v = create("v", 4 * MIB, 3, MIB);
    List<ExtentInfo> all = IntStream.range(0, 20)
        .mapToObj(i -> core.extents().allocate(AllocateExtentRequest.newBuilder().setVid(v.getVid())
            .setIndex(i % 2).build()))
        .toList().stream().map(f -> f.join()).toList();
    assertThat(all.stream().map(ExtentInfo::getPid).distinct()).hasSize(2);
  }

  @Test
  void tooFewLiveChunksIsNoSpace() {
    registerChunks(core, 2);
    VolumeInfo v = create("v", 4 * MIB, 3, MIB);
    BasaltException e = failure(core.extents().allocate(AllocateExtentRequest.newBuilder().setVid(v.getVid())
        .build()));
    assertThat(e.code()).isEqualTo(ErrorCode.NO_SPACE);
    assertThat(e.getMessage()).contains("need 3 live chunks, have 2");
  }

  @Test
  void leaseGrantBumpsAndPersistsTheEpoch() throws Exception {
    registerChunks(core, 3);
    VolumeInfo v = create("v", 4 * MIB, 3, MIB);
    ExtentInfo e = allocate(v.getVid(), 0, 0);
    awaitGraceOver(core);
    MetaTestSupport.TestSession owner = openSession(core, e.getReplicas(0));
    MetaTestSupport.TestSession other = openSession(core, e.getReplicas(1));
    assertThat(failure(core.extents().acquireLease(AcquireLeaseRequest.newBuilder().setPid(e.getPid())
        .setCid(owner.cid()).build())).code()).as("no lease without a session").isEqualTo(ErrorCode.NO_SESSION);

    ExtentInfo granted = lease(e.getPid(), owner);
    assertThat(granted.getOwnerCid()).isEqualTo(owner.cid());
    assertThat(granted.getOwnerSession()).isEqualTo(owner.epoch());
    assertThat(granted.getEpoch()).isEqualTo(2);
    assertThat(persistedEpoch(e.getPid())).isEqualTo(2);

    ExtentInfo refused = lease(e.getPid(), other);
    assertThat(refused).isEqualTo(granted);

    ExtentInfo regranted = lease(e.getPid(), owner);
    assertThat(regranted.getEpoch()).isEqualTo(3);
    assertThat(persistedEpoch(e.getPid())).isEqualTo(3);

    // the owner's session is superseded by a reconnect: its lease is gone and the other replica gets it
    MetaTestSupport.TestSession reconnected = openSession(core, owner.cid());
    assertThat(core.extents().get(e.getPid()).join().getOwnerCid()).isZero();
    ExtentInfo moved = lease(e.getPid(), other);
    assertThat(moved.getOwnerCid()).isEqualTo(other.cid());
    assertThat(moved.getEpoch()).isEqualTo(4);
    assertThat(lease(e.getPid(), reconnected)).isEqualTo(moved);

    // a release by anyone but the owner's session is a no-op; the owner's own gives the lease back
    assertThat(core.sessions().release(ReleaseLeaseRequest.newBuilder().setPid(e.getPid())
        .setCid(other.cid()).setSessionEpoch(other.epoch() + 1).build()).join().getOwnerCid()).isEqualTo(other.cid());
    assertThat(core.sessions().release(ReleaseLeaseRequest.newBuilder().setPid(e.getPid())
        .setCid(other.cid()).setSessionEpoch(other.epoch()).build()).join().getOwnerCid()).isZero();
    assertThat(lease(e.getPid(), reconnected).getOwnerCid()).isEqualTo(reconnected.cid());

    // a chunk that is no member gets the extent unchanged (it redirects its client), never an error its client sees
    ExtentInfo held = lease(e.getPid(), reconnected);
    ExtentInfo notMember = core.extents().acquireLease(AcquireLeaseRequest.newBuilder().setPid(e.getPid())
        .setCid(99).build()).join();
    assertThat(notMember.getOwnerCid()).isEqualTo(reconnected.cid());
    assertThat(notMember.getEpoch()).isEqualTo(held.getEpoch());
    assertThat(notMember.getReplicasList()).doesNotContain(99);
    assertThat(failure(core.extents().acquireLease(AcquireLeaseRequest.newBuilder().setPid(12345).setCid(1)
        .build())).code()).isEqualTo(ErrorCode.NO_SUCH_EXTENT);
  }

  long persistedEpoch(long pid) throws Exception {
    ZkPaths paths = new ZkPaths("test");
    PExtentPage page = PExtentPage.parseFrom(core.curator().getData().forPath(paths.pextentPage(pid / 1000)));
    return page.getPextentsList().stream().filter(r -> r.getPid() == pid).findFirst().orElseThrow().getEpoch();
  }

  @Test
  void getExtentsListsAllocatedExtentsInIndexOrder() {
    registerChunks(core, 3);
    VolumeInfo v = create("v", 16 * MIB, 3, MIB);
    for (int index : new int[] {9, 2, 5, 14}) {
      allocate(v.getVid(), index, 0);
    }
    var all = core.volumes().getExtents(GetExtentsRequest.newBuilder().setVolume("v").build()).join();
    assertThat(all.getVolume().getAllocatedExtents()).isEqualTo(4);
    assertThat(all.getExtentsList()).extracting(ExtentInfo::getIndex).containsExactly(2, 5, 9, 14);
    var page = core.volumes().getExtents(GetExtentsRequest.newBuilder().setVolume("v").setFirstIndex(3)
        .setMaxCount(2).build()).join();
    assertThat(page.getExtentsList()).extracting(ExtentInfo::getIndex).containsExactly(5, 9);
  }

  GetExtentsResponse since(String volume, long version, int max) {
    return core.volumes().getExtents(GetExtentsRequest.newBuilder().setVolume(volume).setAllocatedAfter(version)
        .setMaxCount(max).build()).join();
  }

  @Test
  void getExtentsSinceAMapVersionListsOnlyLaterAllocationsInPidOrder() {
    registerChunks(core, 3);
    VolumeInfo v = create("v", 16 * MIB, 3, MIB);
    VolumeInfo w = create("w", 16 * MIB, 3, MIB);
    assertThat(since("v", 0, 0).getMapVersion()).as("nothing allocated yet").isZero();
    long v9 = allocate(v.getVid(), 9, 0).getPid();
    allocate(w.getVid(), 0, 0);
    long v2 = allocate(v.getVid(), 2, 0).getPid();
    long w1 = allocate(w.getVid(), 1, 0).getPid();

    GetExtentsResponse all = since("v", 0, 0);  // more pids handed out than v holds: scans v's own map
    assertThat(all.getExtentsList()).extracting(ExtentInfo::getPid).containsExactly(v9, v2);
    assertThat(all.getMapVersion()).as("the cluster's latest pid, another volume's").isEqualTo(w1);
    assertThat(all.getMore()).isFalse();

    long v5 = allocate(v.getVid(), 5, 0).getPid();
    GetExtentsResponse delta = since("v", all.getMapVersion(), 0);  // one pid since: scans the pids after it
    assertThat(delta.getExtentsList()).extracting(ExtentInfo::getIndex).containsExactly(5);
    assertThat(delta.getMapVersion()).isEqualTo(v5);
    assertThat(since("v", v5, 0).getExtentsCount()).as("unchanged").isZero();
    assertThat(since("w", v5, 0).getMapVersion()).isEqualTo(v5);

    GetExtentsResponse first = since("v", 0, 2);
    assertThat(first.getExtentsList()).extracting(ExtentInfo::getPid).containsExactly(v9, v2);
    assertThat(first.getMore()).isTrue();
    assertThat(first.getMapVersion()).isEqualTo(v2);
    GetExtentsResponse rest = since("v", first.getMapVersion(), 2);
    assertThat(rest.getExtentsList()).extracting(ExtentInfo::getPid).containsExactly(v5);
    assertThat(rest.getMore()).isFalse();

    var byIndex = core.volumes().getExtents(GetExtentsRequest.newBuilder().setVolume("v").setMaxCount(2).build())
        .join();
    assertThat(byIndex.getExtentsList()).extracting(ExtentInfo::getIndex).containsExactly(2, 5);
    assertThat(byIndex.getMore()).isTrue();
    assertThat(byIndex.getMapVersion()).isEqualTo(v5);
  }

  @Test
  void resizeGrowsOnly() {
    create("v", 4 * MIB, 1, MIB);
    VolumeInfo grown = core.volumes().resize(ResizeVolumeRequest.newBuilder().setName("v")
        .setSizeBytes(6 * MIB).build()).join();
    assertThat(grown.getSizeBytes()).isEqualTo(6 * MIB);
    assertInvalid(failure(core.volumes().resize(ResizeVolumeRequest.newBuilder().setName("v")
        .setSizeBytes(2 * MIB).build())), "volumes only grow");
    assertInvalid(failure(core.volumes().resize(ResizeVolumeRequest.newBuilder().setName("v")
        .setSizeBytes(6 * MIB + 1).build())), "size_bytes=6291457");
    assertThat(core.volumes().resize(ResizeVolumeRequest.newBuilder().setName("v").setSizeBytes(6 * MIB).build())
        .join()).isEqualTo(grown);
    registerChunks(core, 1);
    assertThat(allocate(grown.getVid(), 5, 0).getIndex()).isEqualTo(5);
  }

  @Test
  void deleteVolumeRemovesMapAndPExtents() throws Exception {
    int[] cids = registerChunks(core, 3);
    VolumeInfo keep = create("keep", 4 * MIB, 3, MIB);
    VolumeInfo gone = create("gone", 4 * MIB, 3, MIB);
    ExtentInfo kept = allocate(keep.getVid(), 0, 0);
    ExtentInfo a = allocate(gone.getVid(), 0, 0);
    ExtentInfo b = allocate(gone.getVid(), 3, 0);
    core.volumes().delete("gone").join();
    assertThat(failure(core.volumes().get("gone")).code()).isEqualTo(ErrorCode.NO_SUCH_VOLUME);
    assertThat(failure(core.volumes().delete("gone")).code()).isEqualTo(ErrorCode.NO_SUCH_VOLUME);
    assertThat(failure(core.extents().get(a.getPid())).code()).isEqualTo(ErrorCode.NO_SUCH_EXTENT);
    ZkPaths paths = new ZkPaths("test");
    assertThat(core.curator().checkExists().forPath(paths.volume(gone.getVid()))).isNull();
    var answer = core.chunks().reportReplicas(ReportReplicasRequest.newBuilder().setCid(cids[0])
        .addPids(kept.getPid()).addPids(a.getPid()).addPids(b.getPid()).build()).join();
    assertThat(answer.getDeletedPidsList()).containsExactly(a.getPid(), b.getPid());
    assertThat(core.chunks().listChunks().join().getChunksList()).extracting(ChunkInfo::getReplicaCount)
        .containsOnly(1);
    // the name is free again
    assertThat(create("gone", 4 * MIB, 3, MIB).getVid()).isEqualTo(3);
  }

  /**
   * A mutation takes the deadline of the request it was made for: dequeued after that deadline, it is refused
   * (DEADLINE_EXCEEDED, retryable) and nothing is written; made with time left, or outside any request, it runs.
   */
  @Test
  void aMutationDequeuedAfterItsRequestsDeadlineIsRefusedAndWritesNothing() throws Exception {
    CompletableFuture<VolumeInfo> late = RequestDeadline.with(System.nanoTime() - 1,
        () -> core.volumes().create(vol("late")));
    BasaltException e = failure(late);
    assertThat(e.code()).isEqualTo(ErrorCode.DEADLINE_EXCEEDED);
    assertThat(e.retryable()).isTrue();
    assertThat(e.getMessage()).contains("createVolume").contains("not executed");

    RequestDeadline.with(System.nanoTime() + TimeUnit.SECONDS.toNanos(30), () -> core.volumes().create(vol("in-time")))
        .get(10, TimeUnit.SECONDS);
    core.volumes().create(vol("internal")).get(10, TimeUnit.SECONDS);
    assertThat(core.volumes().list().get(10, TimeUnit.SECONDS).getVolumesList()).extracting(VolumeInfo::getName)
        .containsExactlyInAnyOrder("in-time", "internal");
    assertThat(RequestDeadline.current()).as("restored after the handler").isEqualTo(RequestDeadline.NONE);
  }

  private static CreateVolumeRequest vol(String name) {
    return request(name, 4 * MIB, 3, MIB);
  }
}
