package io.basalt.meta.scrub;

import static io.basalt.meta.MetaTestSupport.awaitActive;
import static io.basalt.meta.MetaTestSupport.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import io.basalt.meta.MetaCore;
import io.basalt.meta.MetaTestSupport;
import io.basalt.meta.MetaTestSupport.TestSession;
import io.basalt.meta.zk.EmbeddedZooKeeper;
import io.basalt.proto.AllocateExtentRequest;
import io.basalt.proto.CreateVolumeRequest;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.ListScrubRequest;
import io.basalt.proto.QuarantineReplicaRequest;
import io.basalt.proto.QuarantineReplicaResponse;
import io.basalt.proto.RegisterChunkRequest;
import io.basalt.proto.ReplicaScrub;
import io.basalt.proto.ScrubExtentRequest;
import io.basalt.proto.ScrubExtentResponse;
import io.basalt.proto.ScrubInfo;
import io.basalt.proto.SetScrubThrottleRequest;
import io.basalt.proto.StartScrubRequest;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.Reply;
import io.basalt.rpc.RpcServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scrub on a real leader (embedded ZooKeeper, fenced writes) whose three chunks are fake chunk servers: RpcServers
 * answering ScrubExtent with the digests a test chooses and recording QuarantineReplica calls. The test keeps their
 * sessions alive and makes one of them the lease owner. Passes run only when the test calls {@code passNow()}.
 */
@Timeout(120)
class ScrubSchedulerTest {
  static final long MIB = 1L << 20;
  static final ScrubConfig SCRUB = ScrubConfig.defaults().withTick(Duration.ZERO)
      .withPeriods(Duration.ofHours(1), Duration.ofHours(2)).withRetryAfter(Duration.ofMillis(100))
      .withCallTimeout(Duration.ofSeconds(2));

  @TempDir
  Path dir;
  EmbeddedZooKeeper zk;
  volatile MetaCore core;
  MetricRegistry registry;
  final List<FakeChunk> chunks = new ArrayList<>();
  final Map<Integer, TestSession> sessions = new ConcurrentHashMap<>();
  final ScheduledExecutorService keepalives = Executors.newSingleThreadScheduledExecutor();

  /** A chunk server's scrub endpoints: ScrubExtent answered by {@link #scrub}, QuarantineReplica recorded. */
  static final class FakeChunk implements AutoCloseable {
    final List<ScrubExtentRequest> scrubs = new CopyOnWriteArrayList<>();
    final List<QuarantineReplicaRequest> quarantines = new CopyOnWriteArrayList<>();
    volatile Function<ScrubExtentRequest, ScrubExtentResponse> scrub =
        r -> { throw new BasaltException(ErrorCode.NOT_OWNER, "not the owner"); };
    volatile boolean hang;
    final RpcServer server;

    FakeChunk() {
      server = RpcServer.builder("fake-chunk").bind("127.0.0.1", 0)
          .handle(Envelope.BodyCase.SCRUB_EXTENT, f -> {
            ScrubExtentRequest r = f.header().getScrubExtent();
            scrubs.add(r);
            if (hang) {
              return new CompletableFuture<>();
            }
            try {
              return CompletableFuture.completedFuture(Reply.of(Envelope.newBuilder()
                  .setScrubExtentResponse(scrub.apply(r))));
            } catch (BasaltException e) {
              return CompletableFuture.failedFuture(e);
            }
          })
          .handle(Envelope.BodyCase.QUARANTINE_REPLICA, f -> {
            quarantines.add(f.header().getQuarantineReplica());
            return CompletableFuture.completedFuture(Reply.of(Envelope.newBuilder()
                .setQuarantineReplicaResponse(QuarantineReplicaResponse.newBuilder().setQuarantined(true))));
          })
          .build().start();
    }

    @Override
    public void close() {
      server.close();
    }
  }

  @BeforeEach
  void start() {
    zk = EmbeddedZooKeeper.start(dir);
    for (int i = 0; i < 3; i++) {
      chunks.add(new FakeChunk());
    }
    startLeader();
    for (int i = 0; i < 3; i++) {
      int cid = core.chunks().register(RegisterChunkRequest.newBuilder().setAddress(chunks.get(i).server.address())
          .setZone("z" + (i + 1)).setCapacityBytes(1L << 40).build()).join().getCid();
      assertThat(cid).isEqualTo(i + 1);
    }
    keepalives.scheduleWithFixedDelay(this::keepAll, 0, 100, TimeUnit.MILLISECONDS);
    await().atMost(Duration.ofSeconds(20)).until(() -> sessions.size() == 3);
    MetaTestSupport.awaitGraceOver(core);
  }

  private void startLeader() {
    registry = new MetricRegistry();
    core = awaitActive(MetaCore.start(config(zk.getConnectionString()).withScrub(SCRUB), "127.0.0.1:7001",
        registry));
  }

  private void keepAll() {
    MetaTestSupport.keepAliveAll(core, sessions, 1, 2, 3);
  }

  @AfterEach
  void stop() throws InterruptedException {
    keepalives.shutdownNow();
    keepalives.awaitTermination(5, TimeUnit.SECONDS);
    core.close();
    chunks.forEach(FakeChunk::close);
    zk.close();
  }

  // ---- helpers ----

  FakeChunk chunk(int cid) {
    return chunks.get(cid - 1);
  }

  /** Volume {@code name} with one extent on {@code replicas} chunks, leased to its first replica. */
  ExtentInfo extent(String name, int replicas) {
    ExtentInfo e = allocate(name, replicas, 0);
    return MetaTestSupport.lease(core, e.getPid(), sessions.get(e.getReplicas(0)));
  }

  ExtentInfo allocate(String name, int replicas, int index) {
    var v = core.volumes().get(name).exceptionally(t -> null).join();
    if (v == null) {
      v = core.volumes().create(CreateVolumeRequest.newBuilder().setName(name).setSizeBytes(4 * MIB)
          .setReplicas(replicas).setExtentSize(MIB).build()).join();
    }
    return core.extents().allocate(AllocateExtentRequest.newBuilder().setVid(v.getVid()).setIndex(index)
        .setPreferredCid(1).build()).join();
  }

  /** The owner of {@code e} answers with one digest per member, in replica order. */
  void answers(ExtentInfo e, ReplicaScrub... members) {
    chunk(e.getOwnerCid()).scrub = r -> ScrubExtentResponse.newBuilder().setPid(r.getPid()).setGen(42)
        .setEpoch(e.getEpoch()).setOwnerCid(e.getOwnerCid()).addAllReplicas(List.of(members)).build();
  }

  static ReplicaScrub digest(int cid, String hash, String... ranges) {
    return ReplicaScrub.newBuilder().setCid(cid).setGen(42).setHash(hash).addAllRangeHashes(List.of(ranges)).build();
  }

  int startScrub(String volume, boolean deep) {
    return core.scrubAdmin().start(StartScrubRequest.newBuilder().setVolume(volume).setDeep(deep).build()).join()
        .getExtents();
  }

  List<ScrubScheduler.Outcome> pass() {
    return core.scrubScheduler().passNow().join();
  }

  List<ScrubInfo> ls(String volume) {
    return core.scrubAdmin().list(ListScrubRequest.newBuilder().setVolume(volume).build()).join().getExtentsList();
  }

  long counter(String name) {
    return registry.counter(name).getCount();
  }

  @SuppressWarnings("unchecked")
  long gauge(String name) {
    return ((Gauge<Long>) registry.getGauges().get(name)).getValue();
  }

  int quarantineCalls() {
    return chunks.stream().mapToInt(c -> c.quarantines.size()).sum();
  }

  // ---- tests ----

  @Test
  void notDueBeforeItsPeriodAndOkWhenEveryDigestIsEqual() {
    ExtentInfo e = extent("v", 3);
    answers(e, digest(1, "aa"), digest(2, "aa"), digest(3, "aa"));
    assertThat(pass()).isEmpty(); // never scrubbed: due one light period after the term began
    assertThat(ls("v")).singleElement().satisfies(i -> {
      assertThat(i.getResult()).isEqualTo("pending");
      assertThat(i.getLastScrubbedMs()).isZero();
    });

    assertThat(startScrub("v", false)).isEqualTo(1);
    List<ScrubScheduler.Outcome> out = pass();
    assertThat(out).singleElement().satisfies(o -> {
      assertThat(o.verdict().kind()).isEqualTo(ScrubVerdict.Kind.OK);
      assertThat(o.gen()).isEqualTo(42);
    });
    assertThat(chunk(e.getOwnerCid()).scrubs).singleElement().satisfies(r -> {
      assertThat(r.getPid()).isEqualTo(e.getPid());
      assertThat(r.getEpoch()).isEqualTo(e.getEpoch());
      assertThat(r.getDeep()).isFalse();
    });
    assertThat(ls("v")).singleElement().satisfies(i -> {
      assertThat(i.getResult()).isEqualTo("ok");
      assertThat(i.getLastScrubbedMs()).isGreaterThan(0);
      assertThat(i.getSuspect()).isFalse();
      assertThat(i.getVolume()).isEqualTo("v");
      assertThat(i.getPid()).isEqualTo(e.getPid());
    });
    assertThat(quarantineCalls()).isZero();
    assertThat(counter("basalt_meta_scrub_extents_light")).isEqualTo(1);
    assertThat(pass()).isEmpty(); // done: not due again for a light period
  }

  @Test
  void twoOfThreeEqualQuarantinesTheOddReplica() {
    ExtentInfo e = extent("v", 3);
    int odd = e.getReplicas(2);
    answers(e, digest(e.getReplicas(0), "aa", "r0", "r1"), digest(e.getReplicas(1), "aa", "r0", "r1"),
        digest(odd, "bb", "r0", "XX"));
    startScrub("v", false);
    assertThat(pass()).singleElement().satisfies(o ->
        assertThat(o.verdict().kind()).isEqualTo(ScrubVerdict.Kind.MISMATCH));
    assertThat(chunk(odd).quarantines).singleElement().satisfies(q -> {
      assertThat(q.getPid()).isEqualTo(e.getPid());
      assertThat(q.getReason()).contains("scrub", "gen=42", "aa", "bb");
      assertThat(q.getBlocksList()).containsExactly(256L);
    });
    assertThat(quarantineCalls()).isEqualTo(1);
    assertThat(ls("v").get(0).getResult()).isEqualTo("mismatch");
    assertThat(ls("v").get(0).getSuspect()).isFalse();
    assertThat(counter("basalt_meta_scrub_mismatches")).isEqualTo(1);
    assertThat(gauge("basalt_meta_scrub_suspect_extents")).isZero();
  }

  @Test
  void twoReplicasDifferingMarkTheExtentSuspectAndRemoveNothing() {
    ExtentInfo e = extent("two", 2);
    answers(e, digest(e.getReplicas(0), "aa"), digest(e.getReplicas(1), "bb"));
    startScrub("two", false);
    assertThat(pass()).singleElement().satisfies(o -> {
      assertThat(o.verdict().kind()).isEqualTo(ScrubVerdict.Kind.MISMATCH);
      assertThat(o.verdict().suspect()).isTrue();
    });
    assertThat(quarantineCalls()).isZero();
    assertThat(ls("two")).singleElement().satisfies(i -> {
      assertThat(i.getResult()).isEqualTo("mismatch");
      assertThat(i.getSuspect()).isTrue();
      assertThat(i.getDetail()).contains("aa", "bb");
    });
    assertThat(gauge("basalt_meta_scrub_suspect_extents")).isEqualTo(1);
    assertThat(core.extents().get(e.getPid()).join().getReplicasCount()).isEqualTo(2); // writes go on

    // a later scrub that finds them equal again clears the mark
    answers(e, digest(e.getReplicas(0), "cc"), digest(e.getReplicas(1), "cc"));
    startScrub("two", false);
    pass();
    assertThat(ls("two").get(0).getSuspect()).isFalse();
    assertThat(gauge("basalt_meta_scrub_suspect_extents")).isZero();
  }

  @Test
  void crcErrorsQuarantineTheFailingMember() {
    ExtentInfo e = extent("v", 3);
    int bad = e.getReplicas(1);
    answers(e, digest(e.getReplicas(0), "aa").toBuilder().setBytesRead(MIB).build(),
        digest(bad, "aa").toBuilder().addCrcErrors(17).setBytesRead(MIB).build(),
        digest(e.getReplicas(2), "aa").toBuilder().setBytesRead(MIB).build());
    startScrub("v", true);
    assertThat(pass()).singleElement().satisfies(o -> {
      assertThat(o.verdict().kind()).isEqualTo(ScrubVerdict.Kind.CRC_ERROR);
      assertThat(o.deep()).isTrue();
    });
    assertThat(chunk(e.getOwnerCid()).scrubs.get(0).getDeep()).isTrue();
    assertThat(chunk(bad).quarantines).singleElement().satisfies(q -> assertThat(q.getBlocksList())
        .containsExactly(17L));
    assertThat(quarantineCalls()).isEqualTo(1);
    assertThat(ls("v").get(0).getResult()).isEqualTo("crc_error");
    assertThat(ls("v").get(0).getLastDeepScrubbedMs()).isGreaterThan(0);
    assertThat(counter("basalt_meta_scrub_crc_errors")).isEqualTo(1);
    assertThat(counter("basalt_meta_scrub_extents_deep")).isEqualTo(1);
    assertThat(counter("basalt_meta_scrub_bytes_read")).isEqualTo(3 * MIB);
  }

  @Test
  void aMemberPastTheGenMakesItPendingAndItIsRetried() {
    ExtentInfo e = extent("v", 3);
    answers(e, digest(1, "aa"), ReplicaScrub.newBuilder().setCid(2).setGenPassed(true).build(), digest(3, "aa"));
    startScrub("v", false);
    assertThat(pass()).singleElement().satisfies(o ->
        assertThat(o.verdict().kind()).isEqualTo(ScrubVerdict.Kind.PENDING));
    assertThat(ls("v").get(0).getResult()).isEqualTo("pending");
    assertThat(counter("basalt_meta_scrub_retries")).isEqualTo(1);

    answers(e, digest(1, "aa"), digest(2, "aa"), digest(3, "aa"));
    await().atMost(Duration.ofSeconds(10)).until(() -> !pass().isEmpty() && ls("v").get(0).getResult().equals("ok"));
    assertThat(quarantineCalls()).isZero();
  }

  @Test
  void withoutAnOwnerNothingIsAskedAndItStaysPending() {
    allocate("v", 3, 0); // no lease: no owner
    startScrub("v", false);
    assertThat(pass()).isEmpty();
    assertThat(chunks.stream().mapToInt(c -> c.scrubs.size()).sum()).isZero();
    assertThat(ls("v").get(0).getResult()).isEqualTo("pending");
    assertThat(core.extents().get(ls("v").get(0).getPid()).join().getOwnerCid()).isZero(); // no lease taken
  }

  @Test
  void anOwnerThatNeverAnswersIsCutByTheDeadlineAndRetried() {
    ExtentInfo e = extent("v", 3);
    chunk(e.getOwnerCid()).hang = true;
    startScrub("v", false);
    assertThat(ls("v").get(0).getResult()).isEqualTo("pending");
    CompletableFuture<List<ScrubScheduler.Outcome>> p = core.scrubScheduler().passNow();
    await().atMost(Duration.ofSeconds(5)).until(() -> ls("v").get(0).getResult().equals("running"));
    assertThat(p.join()).singleElement().satisfies(o -> {
      assertThat(o.verdict().kind()).isEqualTo(ScrubVerdict.Kind.PENDING);
      assertThat(o.verdict().detail()).contains("TIMEOUT");
    });
    assertThat(ls("v").get(0).getResult()).isEqualTo("pending");
  }

  @Test
  void aChunkTakesPartInOneScrubAtATimeByDefault() {
    ExtentInfo a = extent("v", 3);
    ExtentInfo b = MetaTestSupport.lease(core, allocate("v", 3, 1).getPid(), sessions.get(1));
    answers(a, digest(1, "aa"), digest(2, "aa"), digest(3, "aa"));
    assertThat(startScrub("v", false)).isEqualTo(2);
    assertThat(pass()).hasSize(1);
    assertThat(pass()).hasSize(1);
    assertThat(ls("v")).extracting(ScrubInfo::getResult).containsExactly("ok", "ok");
    assertThat(b.getOwnerCid()).isEqualTo(1);

    core.scrubAdmin().setThrottle(SetScrubThrottleRequest.newBuilder().setPerChunk(2).build()).join();
    startScrub("v", false);
    assertThat(pass()).hasSize(2);
  }

  @Test
  void aNewLeaderSeesTheLastScrubAndTheThrottle() {
    ExtentInfo e = extent("two", 2);
    answers(e, digest(e.getReplicas(0), "aa"), digest(e.getReplicas(1), "bb"));
    startScrub("two", false);
    pass();
    ScrubInfo before = ls("two").get(0);
    assertThat(before.getSuspect()).isTrue();
    core.scrubAdmin().setThrottle(SetScrubThrottleRequest.newBuilder().setBytesPerSec(7 * MIB).build()).join();

    core.close();
    sessions.clear();
    startLeader();
    ScrubInfo after = ls("two").get(0);
    assertThat(after.getLastScrubbedMs()).isEqualTo(before.getLastScrubbedMs());
    assertThat(after.getResult()).isEqualTo("mismatch");
    assertThat(after.getSuspect()).isTrue();
    assertThat(core.scrubAdmin().getThrottle().join().getThrottle().getBytesPerSec()).isEqualTo(7 * MIB);
    assertThat(core.scrubAdmin().getThrottle().join().getThrottle().getPerChunk()).isEqualTo(1);
    pass(); // publishes the gauge of the new term
    assertThat(gauge("basalt_meta_scrub_suspect_extents")).isEqualTo(1);
  }

  @Test
  void startAndListRefuseAnUnknownVolume() {
    assertThat(MetaTestSupport.failure(core.scrubAdmin().start(StartScrubRequest.newBuilder().setVolume("nope")
        .build())).code()).isEqualTo(ErrorCode.NO_SUCH_VOLUME);
    assertThat(MetaTestSupport.failure(core.scrubAdmin().list(ListScrubRequest.newBuilder().setVolume("nope")
        .build())).code()).isEqualTo(ErrorCode.NO_SUCH_VOLUME);
    assertThat(MetaTestSupport.failure(core.scrubAdmin().setThrottle(SetScrubThrottleRequest.newBuilder()
        .setBytesPerSec(10).build())).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
  }
}
