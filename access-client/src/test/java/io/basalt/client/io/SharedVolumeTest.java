package io.basalt.client.io;

import static io.basalt.client.io.FakeCluster.MIB;
import static io.basalt.client.io.FakeCluster.codeOf;
import static io.basalt.client.io.FakeCluster.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.codahale.metrics.MetricRegistry;
import io.basalt.client.ClusterVolumeProvider;
import io.basalt.client.VolumeHandle;
import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two block clients on one volume (DESIGN.md "Block client and NBD": the extent map is a cache, never the truth):
 * {@code here} opened the volume first, then {@code there} (another client, its own provider and cache) allocates,
 * writes, and meta resizes, deletes or recreates the volume.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ExtendWith(NoLeakedBuffers.class)
class SharedVolumeTest {
  private static final long SIZE = 8 * MIB;
  private FakeCluster cluster;
  private ClusterVolumeProvider otherClient;
  private VolumeHandle here;
  private VolumeHandle there;
  private long vid;

  @BeforeEach
  void start() {
    cluster = new FakeCluster(3, ClientConfig.defaults().withIoDeadline(Duration.ofSeconds(20)));
    vid = cluster.meta.addVolume("v1", SIZE, MIB, 3).getVid();
    here = cluster.provider.open("v1");
    otherClient = new ClusterVolumeProvider(cluster.metaClient, cluster.rpc, ClientConfig.defaults(),
        new MetricRegistry());
    there = otherClient.open("v1");
  }

  @AfterEach
  void stop() {
    otherClient.close();
    cluster.close();
  }

  @Test
  void readsSeeWhatAnotherClientAllocatedAndWrote() {
    byte[] data = random(1, (int) MIB + 8192);
    FakeCluster.write(there, 2 * MIB - 4096, data, false);
    int before = cluster.meta.getExtentsCalls.get();

    assertThat(FakeCluster.read(here, 2 * MIB - 4096, data.length)).isEqualTo(data);
    assertThat(cluster.meta.getExtentsCalls.get() - before).as("both misses share one lookup").isEqualTo(1);
    assertThat(FakeCluster.read(here, 2 * MIB, 4096)).isEqualTo(Arrays.copyOfRange(data, 4096, 8192));
    assertThat(cluster.meta.getExtentsCalls.get() - before).as("cached since").isEqualTo(1);
    assertThat(cluster.provider.open("v1").shared()).as("still the shared volume").isSameAs(here.shared());
  }

  @Test
  void trimAndWriteZeroesReachExtentsAnotherClientAllocated() {
    FakeCluster.write(there, 0, random(2, (int) MIB), false);
    FakeCluster.write(there, 3 * MIB, random(3, (int) MIB), false);

    here.trim(4096, 8192).join();
    here.writeZeroes(3 * MIB, 65536, false).join();

    byte[] first = FakeCluster.read(there, 0, 16384);
    assertThat(Arrays.copyOfRange(first, 4096, 12288)).containsOnly(0);
    assertThat(Arrays.copyOfRange(first, 0, 4096)).isEqualTo(Arrays.copyOfRange(random(2, 4096), 0, 4096));
    assertThat(FakeCluster.read(there, 3 * MIB, 65536)).containsOnly(0);
    assertThat(cluster.meta.extent(vid, 1)).as("trim and zeroes never allocate").isNull();
  }

  @Test
  void aLookupInFlightBeforeTheReadArrivedIsNotReusedForIt() {
    cluster.meta.extentsGate = new CompletableFuture<>();
    int loads = cluster.meta.getExtentsCalls.get();
    CompletableFuture<ByteBuf> early = here.read(5 * MIB, 4096);   // its lookup: answered now, delivered later
    await(() -> cluster.meta.getExtentsCalls.get() > loads);
    byte[] data = random(4, 4096);
    FakeCluster.write(there, 5 * MIB, data, false);                // completes while that lookup is in flight
    CompletableFuture<ByteBuf> late = here.read(5 * MIB, 4096);
    List<CompletableFuture<ByteBuf>> alsoLate = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      alsoLate.add(here.read(6 * MIB + i * 4096L, 4096));
    }
    cluster.meta.extentsGate.complete(null);

    assertThat(bytes(early)).as("its lookup predates the write: zeros are a valid answer").containsOnly(0);
    assertThat(bytes(late)).as("written before it arrived").isEqualTo(data);
    alsoLate.forEach(f -> assertThat(bytes(f)).containsOnly(0));
    assertThat(cluster.meta.getExtentsCalls.get() - loads).as("one in flight, one queued for all 21 late reads")
        .isEqualTo(2);
  }

  @Test
  void aResizeByAnotherClientIsSeenByIoPastTheOldEndAndByOpen() {
    cluster.meta.resize("v1", 12 * MIB);
    assertThat(here.size()).isEqualTo(SIZE);
    assertThat(FakeCluster.read(here, 10 * MIB, 4096)).as("past the old end").containsOnly(0);
    assertThat(here.size()).isEqualTo(12 * MIB);
    assertThat(codeOf(here.read(12 * MIB, 4096))).as("past the new end").isEqualTo(ErrorCode.INVALID_ARGUMENT);

    cluster.meta.resize("v1", 16 * MIB);
    assertThat(cluster.provider.open("v1").shared()).isSameAs(here.shared());
    assertThat(here.size()).as("re-validated at open").isEqualTo(16 * MIB);
    FakeCluster.write(here, 15 * MIB, random(5, 4096), false);
    assertThat(FakeCluster.read(there, 15 * MIB, 4096)).isEqualTo(random(5, 4096));
    here.trim(14 * MIB, MIB).join();
  }

  @Test
  void aVolumeRecreatedUnderTheSameNameIsOpenedAfresh() {
    FakeCluster.write(here, 0, random(6, 4096), false);
    cluster.meta.delete("v1");
    long newVid = cluster.meta.addVolume("v1", 4 * MIB, MIB, 3).getVid();

    VolumeHandle fresh = cluster.provider.open("v1");
    assertThat(fresh.shared()).isNotSameAs(here.shared());
    assertThat(fresh.vid()).isEqualTo(newVid);
    assertThat(fresh.size()).isEqualTo(4 * MIB);
    assertThat(FakeCluster.read(fresh, 0, 4096)).containsOnly(0);
    assertThat(cluster.provider.open("v1").shared()).isSameAs(fresh.shared());
    assertThat(codeOf(here.read(MIB, 4096))).as("the old volume's lookups")
        .isEqualTo(ErrorCode.NO_SUCH_VOLUME);
  }

  @Test
  void aDeletedVolumeIsNoLongerOpened() {
    cluster.meta.delete("v1");
    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> cluster.provider.open("v1")).isInstanceOfSatisfying(BasaltException.class,
          e -> assertThat(e.code()).isEqualTo(ErrorCode.NO_SUCH_VOLUME));
    }
    cluster.meta.addVolume("v1", MIB, MIB, 3);
    assertThat(cluster.provider.open("v1").size()).isEqualTo(MIB);
  }

  private static byte[] bytes(CompletableFuture<ByteBuf> f) {
    ByteBuf b = f.join();
    try {
      return ByteBufUtil.getBytes(b);
    } finally {
      b.release();
    }
  }

  private static void await(BooleanSupplier condition) {
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(condition::getAsBoolean);
  }
}
