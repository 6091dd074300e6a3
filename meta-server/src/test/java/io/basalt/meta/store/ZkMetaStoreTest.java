package io.basalt.meta.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.basalt.meta.zk.EmbeddedZooKeeper;
import io.basalt.proto.ChunkRecord;
import io.basalt.proto.ChunkStatus;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ExtentMapPage;
import io.basalt.proto.ExtentState;
import io.basalt.proto.IdCounters;
import io.basalt.proto.PExtentPage;
import io.basalt.proto.PExtentRecord;
import io.basalt.proto.VolumeRecord;
import io.basalt.rpc.BasaltException;
import java.nio.file.Path;
import java.util.concurrent.CompletionException;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class ZkMetaStoreTest {
  @TempDir
  Path dir;
  EmbeddedZooKeeper zk;
  CuratorFramework a;
  CuratorFramework b;
  final ZkPaths paths = new ZkPaths("test");

  @BeforeEach
  void start() throws Exception {
    zk = EmbeddedZooKeeper.start(dir);
    a = client();
    b = client();
  }

  @AfterEach
  void stop() {
    a.close();
    b.close();
    zk.close();
  }

  CuratorFramework client() throws InterruptedException {
    CuratorFramework c = CuratorFrameworkFactory.newClient(zk.getConnectionString(), 5000, 3000, new RetryOneTime(50));
    c.start();
    c.blockUntilConnected();
    return c;
  }

  static VolumeRecord volume(long vid, String name) {
    return VolumeRecord.newBuilder().setVid(vid).setName(name).setSizeBytes(1 << 30).setReplicas(3)
        .setExtentSize(1 << 20).setCreatedMs(42).build();
  }

  static PExtentRecord pextent(long pid, long vid, int index) {
    return PExtentRecord.newBuilder().setPid(pid).setVid(vid).setIndex(index).addReplicas(1).addReplicas(2)
        .addReplicas(3).setEpoch(1).setExpectedReplicas(3).setState(ExtentState.EXTENT_HEALTHY).build();
  }

  @Test
  void claimBumpsEpochAndCreatesClusterIdOnce() {
    ZkMetaStore first = new ZkMetaStore(a, paths);
    FencingToken t1 = first.claimLeadership();
    String clusterId = first.load().clusterId();
    ZkMetaStore second = new ZkMetaStore(b, paths);
    FencingToken t2 = second.claimLeadership();
    assertThat(t2.epoch()).isEqualTo(t1.epoch() + 1);
    assertThat(t2.zkVersion()).isGreaterThan(t1.zkVersion());
    assertThat(second.load().clusterId()).isEqualTo(clusterId).isNotBlank();
  }

  @Test
  void recordsRoundTripThroughAReload() {
    ZkMetaStore store = new ZkMetaStore(a, paths);
    store.claimLeadership();
    MetaImage empty = store.load();
    assertThat(empty.ids()).isEqualTo(MetaImage.FIRST_IDS);
    assertThat(empty.volumes()).isEmpty();

    ChunkRecord chunk = ChunkRecord.newBuilder().setCid(1).setAddress("127.0.0.1:9001").setZone("z1")
        .setStatus(ChunkStatus.HEALTHY).setCapacityBytes(1 << 30).build();
    IdCounters ids = IdCounters.newBuilder().setNextCid(2).setNextVid(3).setNextPid(1002).build();
    store.commit(new MutationBatch().putIds(ids).putChunk(chunk).putVolume(volume(1, "v1"))
        .putVolume(volume(2, "v2"))).join();
    // an allocation: ids + pextent page + map page, spanning two pages of each
    store.commit(new MutationBatch()
        .putPExtentPage(0, PExtentPage.newBuilder().addPextents(pextent(1, 1, 0)).build())
        .putPExtentPage(1, PExtentPage.newBuilder().addPextents(pextent(1001, 1, 1500)).build())
        .putMapPage(1, 0, ExtentMapPage.newBuilder().putPids(0, 1).build())
        .putMapPage(1, 1, ExtentMapPage.newBuilder().putPids(1500, 1001).build())).join();
    // rewrite an existing page (setData, not create)
    store.commit(new MutationBatch().putChunk(chunk.toBuilder().setZone("z2").build())).join();

    ZkMetaStore other = new ZkMetaStore(b, paths);
    other.claimLeadership();
    MetaImage image = other.load();
    assertThat(image.ids()).isEqualTo(ids);
    assertThat(image.chunks()).containsExactly(chunk.toBuilder().setZone("z2").build());
    assertThat(image.volumes()).containsExactlyInAnyOrder(volume(1, "v1"), volume(2, "v2"));
    assertThat(image.extentMaps().get(1L)).containsEntry(0, 1L).containsEntry(1500, 1001L).hasSize(2);
    assertThat(image.extentMaps().get(2L)).isEmpty();
    assertThat(image.pextents()).containsExactlyInAnyOrder(pextent(1, 1, 0), pextent(1001, 1, 1500));

    // delete volume 1 with its map pages and pextents, in one multi, from the new leader
    other.commit(new MutationBatch().deleteVolume(1)
        .putPExtentPage(0, PExtentPage.getDefaultInstance())
        .putPExtentPage(1, PExtentPage.getDefaultInstance())).join();
    ZkMetaStore third = new ZkMetaStore(a, paths);
    third.claimLeadership();
    MetaImage after = third.load();
    assertThat(after.volumes()).containsExactly(volume(2, "v2"));
    assertThat(after.pextents()).isEmpty();
    assertThat(after.extentMaps()).doesNotContainKey(1L);
  }

  @Test
  void deposedLeaderCannotWrite() throws Exception {
    ZkMetaStore old = new ZkMetaStore(a, paths);
    old.claimLeadership();
    old.load();
    old.commit(new MutationBatch().putVolume(volume(1, "v1"))).join();

    ZkMetaStore fresh = new ZkMetaStore(b, paths);
    fresh.claimLeadership();
    fresh.load();

    assertThatThrownBy(() -> old.commit(new MutationBatch().putVolume(volume(2, "v2"))).join())
        .isInstanceOf(CompletionException.class)
        .cause().isInstanceOf(FencedException.class)
        .satisfies(e -> assertThat(((BasaltException) e).code()).isEqualTo(ErrorCode.NOT_LEADER));
    assertThat(old.token()).isNull();
    assertThat(b.checkExists().forPath(paths.volume(2))).isNull();
    assertThatThrownBy(() -> old.publishActive("127.0.0.1:1")).isInstanceOf(FencedException.class);

    fresh.commit(new MutationBatch().putVolume(volume(2, "v2"))).join();
    assertThat(b.checkExists().forPath(paths.volume(2))).isNotNull();
  }

  @Test
  void commitWithoutClaimIsFenced() {
    ZkMetaStore store = new ZkMetaStore(a, paths);
    assertThatThrownBy(() -> store.commit(new MutationBatch().putVolume(volume(1, "v1"))).join())
        .cause().isInstanceOf(FencedException.class);
  }

  @Test
  void divergedWriteFailsWithInternalNotFenced() throws Exception {
    ZkMetaStore store = new ZkMetaStore(a, paths);
    store.claimLeadership();
    store.load();
    b.create().forPath(paths.volume(7), new byte[0]); // behind the store's back
    assertThatThrownBy(() -> store.commit(new MutationBatch().putVolume(volume(7, "v7"))).join())
        .cause().isNotInstanceOf(FencedException.class)
        .satisfies(e -> assertThat(((BasaltException) e).code()).isEqualTo(ErrorCode.INTERNAL));
    assertThat(store.token()).isNotNull();
  }

  @Test
  void activeZnodeIsEphemeralAndReplaced() throws Exception {
    ZkMetaStore first = new ZkMetaStore(a, paths);
    first.claimLeadership();
    first.publishActive("127.0.0.1:7001");
    ZkMetaStore second = new ZkMetaStore(b, paths);
    second.claimLeadership();
    second.publishActive("127.0.0.1:7002");
    assertThat(new String(a.getData().forPath(paths.active()))).isEqualTo("127.0.0.1:7002");
    first.releaseLeadership("127.0.0.1:7001"); // not ours any more: left alone
    assertThat(a.checkExists().forPath(paths.active())).isNotNull();
    second.releaseLeadership("127.0.0.1:7002");
    assertThat(a.checkExists().forPath(paths.active())).isNull();
  }
}
