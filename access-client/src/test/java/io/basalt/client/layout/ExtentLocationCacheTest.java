package io.basalt.client.layout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.codahale.metrics.MetricRegistry;
import io.basalt.proto.Envelope;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.GetExtentsRequest;
import io.basalt.proto.GetExtentsResponse;
import io.basalt.proto.VolumeInfo;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.Reply;
import io.basalt.rpc.RpcClientFactory;
import io.basalt.rpc.RpcServer;
import io.basalt.session.MetaClient;
import io.basalt.session.MetaLocator;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The cache's lookups against a scripted meta: each GetExtents waits until the test answers it, so the test sees
 * exactly what was asked (allocated_after) and when.
 */
@Timeout(30)
class ExtentLocationCacheTest {
  private static final long MIB = 1 << 20;
  private static final VolumeInfo VOLUME = VolumeInfo.newBuilder().setVid(7).setName("v").setSizeBytes(8 * MIB)
      .setExtentSize(MIB).setReplicas(1).build();

  private record Asked(GetExtentsRequest request, CompletableFuture<Reply> answer) {
    void answer(GetExtentsResponse.Builder r) {
      answer.complete(Reply.of(Envelope.newBuilder().setGetExtentsResponse(r)));
    }
  }

  private final BlockingQueue<Asked> asked = new LinkedBlockingQueue<>();
  private RpcServer server;
  private RpcClientFactory rpc;
  private MetaClient meta;
  private ExtentLocationCache cache;

  @BeforeEach
  void start() {
    server = RpcServer.builder("scripted-meta").bind("127.0.0.1", 0).handle(Envelope.BodyCase.GET_EXTENTS, f -> {
      CompletableFuture<Reply> answer = new CompletableFuture<>();
      asked.add(new Asked(f.header().getGetExtents(), answer));
      return answer;
    }).build().start();
    rpc = new RpcClientFactory("test", new MetricRegistry());
    meta = new MetaClient(MetaLocator.fixed(server.address()), rpc, Duration.ofSeconds(5), Duration.ofSeconds(5));
    cache = new ExtentLocationCache(meta, VOLUME, 0);
  }

  @AfterEach
  void stop() {
    meta.close();
    rpc.close();
    server.close();
  }

  private Asked next() throws InterruptedException {
    Asked a = asked.poll(10, TimeUnit.SECONDS);
    assertThat(a).as("a GetExtents").isNotNull();
    return a;
  }

  /** The location of {@code index} once a lookup sent now has been answered (null: unallocated). */
  private CompletableFuture<ExtentLocation> lookup(int index) {
    return cache.sync().thenApply(v -> cache.get(index));
  }

  private static ExtentInfo extent(int index, long pid) {
    return ExtentInfo.newBuilder().setIndex(index).setPid(pid).setVid(VOLUME.getVid()).setEpoch(1).addReplicas(1)
        .addReplicaAddresses("127.0.0.1:1").build();
  }

  private static GetExtentsResponse.Builder answer(long version, ExtentInfo... extents) {
    return GetExtentsResponse.newBuilder().setVolume(VOLUME).setMapVersion(version)
        .addAllExtents(List.of(extents));
  }

  /** loadAll on a thread of its own, answered with {@code version} and {@code extents}. */
  private void load(long version, ExtentInfo... extents) throws Exception {
    CompletableFuture<Void> loaded = CompletableFuture.runAsync(cache::loadAll);
    Asked page = next();
    assertThat(page.request().hasAllocatedAfter()).isFalse();
    page.answer(answer(version, extents));
    loaded.get(10, TimeUnit.SECONDS);
  }

  @Test
  void aMissAsksForWhatWasAllocatedSinceTheLoadAndCachesAllItFinds() throws Exception {
    load(40, extent(0, 12));
    CompletableFuture<ExtentLocation> miss = lookup(3);
    Asked lookup = next();
    assertThat(lookup.request().getAllocatedAfter()).as("the version of the load").isEqualTo(40);
    lookup.answer(answer(45, extent(3, 41), extent(6, 44)));

    assertThat(miss.get(10, TimeUnit.SECONDS).pid()).isEqualTo(41);
    assertThat(cache.get(6)).as("found by the same lookup").isNotNull();

    CompletableFuture<ExtentLocation> unallocated = lookup(5);
    Asked again = next();
    assertThat(again.request().getAllocatedAfter()).isEqualTo(45);
    again.answer(answer(50));
    assertThat(unallocated.get(10, TimeUnit.SECONDS)).as("meta says unallocated").isNull();

    CompletableFuture<ExtentLocation> sameIndexLater = lookup(5);
    assertThat(next().request().getAllocatedAfter()).as("no negative cache: asked again").isEqualTo(50);
    assertThat(sameIndexLater).isNotDone();
  }

  @Test
  void aLookupCutAtItsPageSizeGoesOnFromTheLastPid() throws Exception {
    load(10);
    CompletableFuture<ExtentLocation> miss = lookup(7);
    next().answer(answer(11, extent(1, 11)).setMore(true));
    Asked rest = next();
    assertThat(rest.request().getAllocatedAfter()).isEqualTo(11);
    assertThat(miss).as("one lookup: pages until the end").isNotDone();
    rest.answer(answer(20, extent(7, 19)));
    assertThat(miss.get(10, TimeUnit.SECONDS).pid()).isEqualTo(19);
  }

  @Test
  void lookupsAdoptALargerSizeOnly() throws Exception {
    load(1);
    CompletableFuture<Void> synced = cache.sync();
    next().answer(answer(1).setVolume(VOLUME.toBuilder().setSizeBytes(16 * MIB)));
    synced.get(10, TimeUnit.SECONDS);
    assertThat(cache.sizeBytes()).isEqualTo(16 * MIB);
    assertThat(cache.adoptSize(8 * MIB)).as("volumes never shrink").isEqualTo(16 * MIB);
  }

  @Test
  void anAnswerAboutAnotherVidFailsTheLookupAsNoSuchVolume() throws Exception {
    load(3, extent(0, 2));
    CompletableFuture<ExtentLocation> miss = lookup(4);
    next().answer(answer(9, extent(4, 9).toBuilder().setVid(8).build())
        .setVolume(VOLUME.toBuilder().setVid(8)));
    assertThatThrownBy(() -> miss.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(BasaltException.class)
        .hasMessageContaining("was deleted");
    assertThat(cache.get(4)).as("nothing of the other volume cached").isNull();
  }
}
