package io.basalt.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.basalt.cli.BasaltCliTest.Result;
import io.basalt.meta.MetaConfig;
import io.basalt.meta.MetaServer;
import io.basalt.meta.scrub.ScrubConfig;
import io.basalt.meta.zk.EmbeddedZooKeeper;
import io.basalt.proto.AcquireLeaseRequest;
import io.basalt.proto.AllocateExtentRequest;
import io.basalt.proto.CreateVolumeRequest;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.KeepAliveRequest;
import io.basalt.proto.KeepAliveResponse;
import io.basalt.proto.QuarantineReplicaRequest;
import io.basalt.proto.QuarantineReplicaResponse;
import io.basalt.proto.RegisterChunkRequest;
import io.basalt.proto.ReplicaScrub;
import io.basalt.proto.ScrubExtentRequest;
import io.basalt.proto.ScrubExtentResponse;
import io.basalt.proto.ScrubThrottle;
import io.basalt.proto.SessionGroup;
import io.basalt.proto.VolumeInfo;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.Reply;
import io.basalt.rpc.RpcServer;
import io.basalt.session.SessionConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scrub ls|start|throttle} against a real meta leader in this JVM (embedded ZooKeeper, its scrub pass running
 * every 50 ms) whose three chunks are fake chunk servers: RpcServers answering ScrubExtent with the digests of the
 * extent's members (equal unless a test makes one differ) and recording QuarantineReplica. The test keeps their
 * sessions alive and leases every extent to its first replica.
 */
@Timeout(120)
class ScrubCommandClusterTest {
  static final String CLUSTER = "scrubtest";
  static final long MIB = 1L << 20;

  @TempDir
  Path dir;
  EmbeddedZooKeeper zk;
  MetaServer meta;
  final List<RpcServer> fakes = new ArrayList<>();
  final List<QuarantineReplicaRequest> quarantines = new CopyOnWriteArrayList<>();
  /** pid -> cid -> hash; members not named hash "aa". */
  final Map<Long, Map<Integer, String>> hashes = new ConcurrentHashMap<>();
  final Map<Integer, KeepAliveResponse> sessions = new ConcurrentHashMap<>();
  final ScheduledExecutorService keepalives = Executors.newSingleThreadScheduledExecutor();
  final Map<Long, ExtentInfo> extents = new ConcurrentHashMap<>();

  RpcServer fake() {
    RpcServer s = RpcServer.builder("fake-chunk").bind("127.0.0.1", 0)
        .handle(Envelope.BodyCase.SCRUB_EXTENT, f -> {
          ScrubExtentRequest r = f.header().getScrubExtent();
          ExtentInfo e = extents.get(r.getPid());
          ScrubExtentResponse.Builder b = ScrubExtentResponse.newBuilder().setPid(r.getPid()).setGen(9)
              .setOwnerCid(e.getOwnerCid());
          for (int cid : e.getReplicasList()) {
            b.addReplicas(ReplicaScrub.newBuilder().setCid(cid).setGen(9)
                .setHash(hashes.getOrDefault(r.getPid(), Map.of()).getOrDefault(cid, "aa")));
          }
          return CompletableFuture.completedFuture(Reply.of(Envelope.newBuilder().setScrubExtentResponse(b)));
        })
        .handle(Envelope.BodyCase.QUARANTINE_REPLICA, f -> {
          quarantines.add(f.header().getQuarantineReplica());
          return CompletableFuture.completedFuture(Reply.of(Envelope.newBuilder()
              .setQuarantineReplicaResponse(QuarantineReplicaResponse.newBuilder().setQuarantined(true))));
        })
        .build().start();
    fakes.add(s);
    return s;
  }

  @BeforeEach
  void start() {
    zk = EmbeddedZooKeeper.start(dir);
    meta = MetaServer.start(MetaConfig.defaults(zk.getConnectionString()).withCluster(CLUSTER)
        .withListen("127.0.0.1", 0).withZkSessionTimeout(Duration.ofSeconds(6))
        .withSessions(SessionConfig.of(Duration.ofMillis(100), Duration.ofSeconds(1)))
        .withScrub(ScrubConfig.defaults().withTick(Duration.ofMillis(50)).withRetryAfter(Duration.ofMillis(100))));
    await().atMost(Duration.ofSeconds(20)).until(meta::isActiveLeader);
    for (int i = 0; i < 3; i++) {
      meta.core().chunks().register(RegisterChunkRequest.newBuilder().setAddress(fake().address())
          .setZone("z" + (i + 1)).setCapacityBytes(1L << 40).build()).join();
    }
    keepalives.scheduleWithFixedDelay(this::keepAll, 0, 100, TimeUnit.MILLISECONDS);
    await().atMost(Duration.ofSeconds(20)).until(() -> sessions.size() == 3
        && meta.core().sessions().status().join().getGraceRemainingMs() == 0);
  }

  private void keepAll() {
    for (int cid = 1; cid <= 3; cid++) {
      KeepAliveResponse s = sessions.get(cid);
      KeepAliveRequest.Builder req = KeepAliveRequest.newBuilder().setGroup(SessionGroup.CHUNK).setCid(cid)
          .setName("fake");
      if (s != null) {
        req.setSessionUuid(s.getSessionUuid()).setSessionEpoch(s.getSessionEpoch());
      }
      try {
        KeepAliveResponse r = meta.core().sessions().keepAlive(req.build()).join();
        sessions.putIfAbsent(cid, r);
      } catch (RuntimeException e) {
        if (s != null && BasaltException.of(e).code() == ErrorCode.NO_SESSION) {
          sessions.remove(cid, s);
        }
      }
    }
  }

  @AfterEach
  void stop() throws InterruptedException {
    keepalives.shutdownNow();
    keepalives.awaitTermination(5, TimeUnit.SECONDS);
    meta.close();
    fakes.forEach(RpcServer::close);
    zk.close();
  }

  /** Volume {@code name} with {@code count} extents on {@code replicas} chunks, each leased to its first replica. */
  List<ExtentInfo> volume(String name, int replicas, int count) {
    VolumeInfo v = meta.core().volumes().create(CreateVolumeRequest.newBuilder().setName(name)
        .setSizeBytes(count * MIB).setReplicas(replicas).setExtentSize(MIB).build()).join();
    List<ExtentInfo> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ExtentInfo e = meta.core().extents().allocate(AllocateExtentRequest.newBuilder().setVid(v.getVid())
          .setIndex(i).setPreferredCid(1 + i % 3).build()).join();
      KeepAliveResponse s = sessions.get(e.getReplicas(0));
      e = meta.core().extents().acquireLease(AcquireLeaseRequest.newBuilder().setPid(e.getPid())
          .setCid(e.getReplicas(0)).setSessionUuid(s.getSessionUuid()).setSessionEpoch(s.getSessionEpoch())
          .build()).join();
      extents.put(e.getPid(), e);
      out.add(e);
    }
    return out;
  }

  private Result cli(String... args) {
    List<String> all = new ArrayList<>(Arrays.asList(args));
    all.addAll(List.of("--zk", zk.getConnectionString(), "--cluster", CLUSTER, "--timeout", "20s"));
    return BasaltCliTest.run(all.toArray(String[]::new));
  }

  private static List<Map<String, Object>> json(Result r) {
    return SessionCommandsClusterTest.jsonArray(r.out());
  }

  @Test
  void lsBeforeAnyScrubShowsEveryExtentPending() {
    List<ExtentInfo> es = volume("v", 3, 2);
    Result r = cli("scrub", "ls", "--json");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).isEmpty();
    List<Map<String, Object>> rows = json(r);
    assertThat(rows).hasSize(2);
    for (Map<String, Object> m : rows) {
      assertThat(List.copyOf(m.keySet())).startsWith("volume", "index", "pid", "last_scrubbed", "result");
      assertThat(m).containsEntry("volume", "v").containsEntry("result", "pending")
          .containsEntry("last_scrubbed", null).containsEntry("suspect", false);
    }
    assertThat(rows).extracting(m -> m.get("pid")).containsExactly((double) es.get(0).getPid(),
        (double) es.get(1).getPid());

    Result table = cli("scrub", "ls");
    assertThat(table.code()).as(table.err()).isZero();
    assertThat(table.out()).startsWith("suspect: 0  throttle: 50 MiB/s, 1 per chunk\n")
        .contains("VOLUME  INDEX  PID  LAST SCRUBBED  RESULT   DEEP  SUSPECT  DETAIL");
  }

  @Test
  void startWaitScrubsEveryExtentAndLsShowsOk() {
    volume("v", 3, 3);
    volume("other", 3, 1);
    Result r = cli("scrub", "start", "v", "--wait");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).startsWith("light scrub of 3 extents of volume v requested; waiting\n");
    assertThat(r.out().lines().filter(l -> l.startsWith("v ")).toList()).hasSize(3)
        .allSatisfy(l -> assertThat(l).contains(" ok "));

    List<Map<String, Object>> rows = json(cli("scrub", "ls", "v", "--json"));
    assertThat(rows).hasSize(3).allSatisfy(m -> {
      assertThat(m).containsEntry("result", "ok");
      assertThat((String) m.get("last_scrubbed")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z");
    });
    // the other volume was not asked for
    assertThat(json(cli("scrub", "ls", "other", "--json"))).singleElement()
        .satisfies(m -> assertThat(m).containsEntry("result", "pending"));
    assertThat(quarantines).isEmpty();

    Result deep = cli("scrub", "start", "--all", "--deep", "--wait", "--json");
    assertThat(deep.code()).as(deep.err()).isZero();
    assertThat(json(deep)).hasSize(4).allSatisfy(m -> assertThat(m).containsEntry("result", "ok")
        .containsEntry("deep", true));
  }

  @Test
  void aMinorityIsQuarantinedAndNoMajorityIsSuspectLoudly() {
    ExtentInfo three = volume("v", 3, 1).get(0);
    hashes.put(three.getPid(), Map.of(three.getReplicas(2), "bb"));
    ExtentInfo two = volume("two", 2, 1).get(0);
    hashes.put(two.getPid(), Map.of(two.getReplicas(1), "bb"));

    Result r = cli("scrub", "start", "v", "--wait");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("error: scrub found 1 extent with a mismatch or a CRC error");
    assertThat(quarantines).singleElement().satisfies(q -> assertThat(q.getPid()).isEqualTo(three.getPid()));

    Result s = cli("scrub", "start", "two", "--wait");
    assertThat(s.code()).isEqualTo(1);
    assertThat(s.err()).contains("warning: extent two/0 (pid " + two.getPid() + ") is SUSPECT");
    assertThat(quarantines).hasSize(1); // nothing removed

    Result ls = cli("scrub", "ls", "--json");
    assertThat(ls.code()).isZero();
    assertThat(ls.err()).contains("is SUSPECT");
    assertThat(json(ls)).extracting(m -> m.get("volume") + ":" + m.get("result") + ":" + m.get("suspect"))
        .containsExactly("two:mismatch:true", "v:mismatch:false");
    Result table = cli("scrub", "ls");
    assertThat(table.out()).startsWith("suspect: 1 ").contains("SUSPECT");
  }

  @Test
  void throttleShowsAndChangesTheRate() {
    Result shown = cli("scrub", "throttle");
    assertThat(shown.code()).as(shown.err()).isZero();
    assertThat(shown.out()).isEqualTo(ScrubCommand.renderThrottle(ScrubThrottle.newBuilder()
        .setBytesPerSec(50 * MIB).setPerChunk(1).build()));
    Result set = cli("scrub", "throttle", "20MiB", "--json");
    assertThat(set.code()).as(set.err()).isZero();
    assertThat(set.out()).isEqualTo("{\n  \"bytes_per_sec\": 20971520,\n  \"per_chunk\": 1\n}\n");
    assertThat(cli("scrub", "throttle", "--per-chunk", "2", "--json").out()).contains("\"per_chunk\": 2")
        .contains("20971520");
    assertThat(cli("scrub", "throttle", "10").code()).isEqualTo(2);
    assertThat(cli("scrub", "throttle", "--per-chunk", "0").code()).isEqualTo(2);
  }

  @Test
  void startNeedsExactlyOneOfVolumeAndAll() {
    assertThat(cli("scrub", "start").code()).isEqualTo(2);
    assertThat(cli("scrub", "start", "v", "--all").code()).isEqualTo(2);
    Result missing = cli("scrub", "start", "nope");
    assertThat(missing.code()).isEqualTo(1);
    assertThat(missing.err()).startsWith("error: NO_SUCH_VOLUME");
  }
}
