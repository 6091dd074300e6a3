package io.basalt.client.io;

import static io.basalt.client.io.FakeCluster.MIB;
import static io.basalt.client.io.FakeCluster.codeOf;
import static io.basalt.client.io.FakeCluster.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.basalt.client.ClusterVolume;
import io.basalt.client.VolumeHandle;
import io.basalt.common.ManualClock;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ExtentInfo;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.NotOwnerException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ExtendWith(NoLeakedBuffers.class)
class ClusterVolumeTest {
  private static final long SIZE = 8 * MIB;
  private FakeCluster cluster;
  private VolumeHandle volume;
  private long vid;

  @BeforeEach
  void start() {
    cluster = new FakeCluster(3, ClientConfig.defaults().withIoDeadline(Duration.ofSeconds(20)));
    vid = cluster.meta.addVolume("v1", SIZE, MIB, 3).getVid();
    volume = cluster.provider.open("v1");
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  private byte[] read(long offset, int length) {
    return FakeCluster.read(volume, offset, length);
  }

  private void write(long offset, byte[] bytes, boolean fua) {
    FakeCluster.write(volume, offset, bytes, fua);
  }

  @Test
  void writesAcrossExtentBoundariesReadBackExactly() {
    long offset = MIB - 3 * 4096;
    byte[] data = random(1, (int) (3 * MIB + 8192));
    write(offset, data, false);

    assertThat(read(offset, data.length)).isEqualTo(data);
    assertThat(read(2 * MIB - 512, 1024)).isEqualTo(Arrays.copyOfRange(data,
        (int) (2 * MIB - 512 - offset), (int) (2 * MIB + 512 - offset)));
    byte[] wide = read(0, (int) (6 * MIB));
    assertThat(Arrays.copyOfRange(wide, 0, (int) offset)).containsOnly(0);
    assertThat(Arrays.copyOfRange(wide, (int) offset, (int) offset + data.length)).isEqualTo(data);
    assertThat(Arrays.copyOfRange(wide, (int) offset + data.length, wide.length)).containsOnly(0);
    for (int index = 0; index <= 3; index++) {  // [1 MiB - 12 KiB, 4 MiB - 4 KiB)
      assertThat(cluster.meta.extent(vid, index)).as("extent %d allocated", index).isNotNull();
    }
    assertThat(cluster.meta.extent(vid, 4)).isNull();
  }

  /** A 1 MiB write or read inside one extent is ONE chunk request each way, never split into blocks. */
  @Test
  void aWholeExtentWriteOrReadIsOneChunkRequest() {
    byte[] data = random(9, (int) MIB);
    write(MIB, data, false);  // allocates extent 1 first
    int writesBefore = cluster.chunks.stream().mapToInt(c -> c.writes.get()).sum();
    int readsBefore = cluster.chunks.stream().mapToInt(c -> c.reads.get()).sum();
    byte[] again = random(10, (int) MIB);
    write(MIB, again, true);
    assertThat(read(MIB, (int) MIB)).isEqualTo(again);
    assertThat(cluster.chunks.stream().mapToInt(c -> c.writes.get()).sum() - writesBefore).isEqualTo(1);
    assertThat(cluster.chunks.stream().mapToInt(c -> c.reads.get()).sum() - readsBefore).isEqualTo(1);
  }

  @Test
  void oddSizedUnalignedWritesReadBack() {
    byte[] a = random(2, 777);
    byte[] b = random(3, 5000);
    write(MIB - 100, a, false);
    write(MIB + 677, b, true);
    byte[] got = read(MIB - 100, 777 + 5000);
    assertThat(Arrays.copyOfRange(got, 0, 777)).isEqualTo(a);
    assertThat(Arrays.copyOfRange(got, 777, got.length)).isEqualTo(b);
  }

  @Test
  void unallocatedRangesReadAsZerosWithoutChunkCalls() {
    assertThat(read(0, (int) (2 * MIB) + 4096)).containsOnly(0);
    volume.trim(0, SIZE).join();
    volume.writeZeroes(MIB, MIB, false).join();
    assertThat(cluster.chunkAttempts()).isZero();
    assertThat(cluster.meta.allocateCalls.get()).isZero();
    assertThat(volume.dirtyExtents()).isZero();
  }

  @Test
  void trimAndWriteZeroesClearAllocatedRangesOnly() {
    write(0, random(4, (int) (2 * MIB)), false);
    volume.trim(4096, 8192).join();
    volume.writeZeroes(MIB - 4096, 3 * MIB, false).join();
    byte[] got = read(0, (int) (2 * MIB));
    assertThat(Arrays.copyOfRange(got, 4096, 4096 + 8192)).containsOnly(0);
    assertThat(Arrays.copyOfRange(got, (int) MIB - 4096, got.length)).containsOnly(0);
    assertThat(got[0]).isEqualTo(random(4, 1)[0]);
    assertThat(cluster.meta.extent(vid, 2)).as("writeZeroes never allocates").isNull();
  }

  @Test
  void notOwnerRedirectIsFollowedAndRemembered() {
    ExtentInfo e = cluster.meta.allocate(vid, 0);
    volume = cluster.reopen("v1");
    assertThat(e.getOwnerCid()).isEqualTo(1);
    FakeChunk former = cluster.chunk(1);
    FakeChunk owner = cluster.chunk(2);
    former.standing = new NotOwnerException(2, owner.address(), "lease moved");

    byte[] data = random(5, 4096);
    write(8192, data, false);
    assertThat(read(8192, 4096)).isEqualTo(data);
    assertThat(former.attempts.get()).isEqualTo(1);
    assertThat(owner.writes.get()).isEqualTo(1);
    assertThat(owner.reads.get()).isEqualTo(1);
    assertThat(cluster.provider.metrics().redirects()).isEqualTo(1);
  }

  @Test
  void notOwnerNamingOnlyACidIsResolvedAmongTheReplicas() {
    cluster.meta.allocate(vid, 1);  // replicas 2, 3, 1; owner 2
    volume = cluster.reopen("v1");
    cluster.chunk(2).standing = new NotOwnerException(3, "", "lease moved");
    write(MIB, random(6, 4096), false);
    assertThat(cluster.chunk(3).writes.get()).isEqualTo(1);
  }

  @Test
  void unavailableTwiceThenOkIsRetried() {
    FakeChunk first = cluster.chunk(1);
    first.scripted.add(new BasaltException(ErrorCode.UNAVAILABLE, "chunk restarting", true));
    first.scripted.add(new BasaltException(ErrorCode.UNAVAILABLE, "chunk restarting", true));
    byte[] data = random(7, 4096);
    write(0, data, false);
    assertThat(first.attempts.get()).isEqualTo(3);
    assertThat(first.writes.get()).isEqualTo(1);
    assertThat(cluster.provider.metrics().retries()).isEqualTo(2);
    assertThat(cluster.meta.getExtentCalls.get()).as("refreshed from meta").isGreaterThanOrEqualTo(1);
    assertThat(read(0, 4096)).isEqualTo(data);
  }

  @Test
  void staleEpochRefreshesTheExtentAndRetries() {
    write(0, random(8, 4096), false);
    ExtentInfo moved = cluster.meta.setOwner(cluster.meta.extent(vid, 0).getPid(), 3);
    byte[] data = random(9, 4096);
    write(0, data, false);
    assertThat(cluster.chunk(3).writes.get()).isEqualTo(1);
    assertThat(cluster.provider.metrics().retries()).isEqualTo(1);
    assertThat(moved.getEpoch()).isEqualTo(2);
    assertThat(read(0, 4096)).isEqualTo(data);
  }

  @Test
  void nonRetryableErrorFailsAtOnceWithItsCode() {
    cluster.chunk(1).scripted.add(new BasaltException(ErrorCode.IO_ERROR, "disk gone", false));
    ByteBuf data = Unpooled.directBuffer(4096).writeZero(4096);
    assertThat(codeOf(volume.write(0, data, false))).isEqualTo(ErrorCode.IO_ERROR);
    assertThat(data.refCnt()).isZero();
    assertThat(cluster.chunk(1).attempts.get()).isEqualTo(1);
    assertThat(cluster.provider.metrics().retries()).isZero();
  }

  @Test
  void retryableErrorsFailWithTheLastErrorOnceTheDeadlinePasses() {
    cluster.close();
    cluster = new FakeCluster(3, ClientConfig.defaults().withIoDeadline(Duration.ofMillis(400))
        .withMaxBackoff(Duration.ofMillis(50)));
    vid = cluster.meta.addVolume("v1", SIZE, MIB, 3).getVid();
    volume = cluster.provider.open("v1");
    cluster.chunk(1).standing = new BasaltException(ErrorCode.NOT_READY, "starting", true);
    ByteBuf data = Unpooled.directBuffer(4096).writeZero(4096);
    assertThat(codeOf(volume.write(0, data, false))).isEqualTo(ErrorCode.NOT_READY);
    assertThat(data.refCnt()).isZero();
    assertThat(cluster.chunk(1).attempts.get()).isGreaterThan(1);
    assertThat(cluster.provider.metrics().inDoubt()).isEqualTo(1);
    assertThat(codeOf(volume.read(0, 4096))).isEqualTo(ErrorCode.NOT_READY);
  }

  @Test
  void aRetryingIoGivesUpOnlyOnceItsDeadlinePassedOnTheClientsClock() {
    cluster.close();
    ManualClock clock = new ManualClock();
    cluster = new FakeCluster(3, ClientConfig.defaults().withIoDeadline(Duration.ofSeconds(1))
        .withMaxBackoff(Duration.ofMillis(5)), clock);
    vid = cluster.meta.addVolume("v1", SIZE, MIB, 3).getVid();
    volume = cluster.provider.open("v1");
    cluster.chunk(1).standing = new BasaltException(ErrorCode.NOT_READY, "starting", true);
    ByteBuf data = Unpooled.directBuffer(4096).writeZero(4096);
    CompletableFuture<Void> write = volume.write(0, data, false);
    await().atMost(Duration.ofSeconds(20)).until(() -> cluster.chunk(1).attempts.get() >= 5);
    assertThat(write).as("the clock has not moved: the I/O is within its deadline and keeps retrying").isNotDone();
    clock.advance(Duration.ofSeconds(2));
    assertThat(codeOf(write)).isEqualTo(ErrorCode.NOT_READY);
    assertThat(data.refCnt()).isZero();
    assertThat(cluster.provider.metrics().inDoubt()).isEqualTo(1);
  }

  @Test
  void outOfRangeIoFailsWithInvalidArgument() {
    ByteBuf past = Unpooled.directBuffer(8192).writeZero(8192);
    assertThat(codeOf(volume.write(SIZE - 4096, past, false))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(past.refCnt()).isZero();
    assertThatThrownBy(() -> volume.read(SIZE - 4096, 8192).join())
        .hasMessageContaining("offset=" + (SIZE - 4096)).hasMessageContaining("length=8192")
        .hasMessageContaining("size=" + SIZE);
    assertThat(codeOf(volume.read(-1, 10))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(codeOf(volume.trim(SIZE, 1))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(codeOf(volume.writeZeroes(0, SIZE + 1, false))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(codeOf(volume.trim(Long.MAX_VALUE, Long.MAX_VALUE))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    ByteBuf last = volume.read(SIZE - 4096, 4096).join();
    last.release();
    assertThat(cluster.chunkAttempts()).isZero();
  }

  @Test
  void flushSyncsOnlyTheOwnersOfDirtyExtents() {
    write(0, random(10, 4096), false);          // extent 0: owner chunk 1
    write(2 * MIB, random(11, 4096), false);    // extent 2: owner chunk 3
    write(5 * MIB, random(12, 4096), false);    // extent 5: owner chunk 3
    write(MIB, random(13, 4096), true);         // extent 1 (owner chunk 2): FUA, durable already
    long pid0 = cluster.meta.extent(vid, 0).getPid();
    long pid2 = cluster.meta.extent(vid, 2).getPid();
    long pid5 = cluster.meta.extent(vid, 5).getPid();

    volume.flush().join();
    assertThat(cluster.chunk(1).flushes).containsExactly(List.of(pid0));
    assertThat(cluster.chunk(2).flushes).isEmpty();
    assertThat(cluster.chunk(3).flushes).hasSize(1);
    assertThat(cluster.chunk(3).flushes.get(0)).containsExactlyInAnyOrder(pid2, pid5);
    assertThat(volume.dirtyExtents()).isZero();

    volume.flush().join();
    assertThat(cluster.chunks.stream().mapToInt(c -> c.flushes.size()).sum()).as("nothing dirty").isEqualTo(2);

    write(2 * MIB + 4096, random(14, 4096), false);
    volume.flush().join();
    assertThat(cluster.chunk(3).flushes).hasSize(2);
    assertThat(cluster.chunk(3).flushes.get(1)).containsExactly(pid2);
    assertThat(cluster.chunk(1).flushes).hasSize(1);
  }

  @Test
  void failedFlushKeepsExtentsDirty() {
    write(0, random(15, 4096), false);
    cluster.chunk(1).scripted.add(new BasaltException(ErrorCode.IO_ERROR, "wal sync failed", false));
    assertThat(codeOf(volume.flush())).isEqualTo(ErrorCode.IO_ERROR);
    assertThat(volume.dirtyExtents()).isEqualTo(1);
    volume.flush().join();
    assertThat(volume.dirtyExtents()).isZero();
  }

  @Test
  void flushFollowsAMovedOwner() {
    write(0, random(16, 4096), false);
    long pid0 = cluster.meta.extent(vid, 0).getPid();
    cluster.chunk(1).standing = new NotOwnerException(2, cluster.chunk(2).address(), "lease moved");
    volume.flush().join();
    assertThat(cluster.chunk(2).flushes).containsExactly(List.of(pid0));
    assertThat(volume.dirtyExtents()).isZero();
  }

  @Test
  void concurrentFirstWritesToOneExtentShareOneAllocation() {
    cluster.meta.allocateGate = new CompletableFuture<>();
    List<CompletableFuture<Void>> writes = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      writes.add(volume.write(i * 4096L, Unpooled.directBuffer(4096).writeBytes(random(20 + i, 4096)), false));
    }
    cluster.meta.allocateGate.complete(null);
    writes.forEach(CompletableFuture::join);
    assertThat(cluster.meta.allocateCalls.get()).isEqualTo(1);
    assertThat(read(7 * 4096, 4096)).isEqualTo(random(27, 4096));
  }

  @Test
  void providerSharesOpenVolumesAndReportsUnknownNames() {
    VolumeHandle second = cluster.provider.open("v1");
    assertThat(second).isNotSameAs(volume);
    assertThat(second.shared()).isSameAs(volume.shared());
    cluster.meta.addVolume("v2", MIB, MIB, 2);
    assertThat(cluster.provider.list()).containsExactly("v1", "v2");
    assertThatThrownBy(() -> cluster.provider.open("nope"))
        .isInstanceOfSatisfying(BasaltException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NO_SUCH_VOLUME));
    assertThat(volume.size()).isEqualTo(SIZE);
    assertThat(volume.blockSize()).isEqualTo(4096);
  }

  @Test
  void openLoadsExtentsAllocatedElsewhere() {
    cluster.meta.allocate(vid, 3);
    VolumeHandle fresh = cluster.reopen("v1");
    byte[] data = random(30, 4096);
    ByteBuf buf = Unpooled.directBuffer(4096).writeBytes(data);
    fresh.write(3 * MIB, buf, false).join();
    assertThat(cluster.meta.allocateCalls.get()).isZero();
    ByteBuf got = fresh.read(3 * MIB, 4096).join();
    assertThat(ByteBufUtil.getBytes(got)).isEqualTo(data);
    got.release();
    assertThat(cluster.meta.getExtentsCalls.get()).isEqualTo(2);
  }
}
