package io.basalt.meta.recovery;

import static io.basalt.meta.MetaTestSupport.awaitActive;
import static io.basalt.meta.MetaTestSupport.config;
import static io.basalt.meta.MetaTestSupport.failure;
import static io.basalt.meta.MetaTestSupport.registerChunks;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import io.basalt.meta.MetaConfig;
import io.basalt.meta.MetaCore;
import io.basalt.meta.MetaTestSupport.TestSession;
import io.basalt.meta.MetaTestSupport;
import io.basalt.meta.state.PExtent;
import io.basalt.meta.zk.EmbeddedZooKeeper;
import io.basalt.proto.AcquireLeaseRequest;
import io.basalt.proto.AllocateExtentRequest;
import io.basalt.proto.ChunkStatus;
import io.basalt.proto.CreateVolumeRequest;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.ExtentState;
import io.basalt.proto.KeepAliveRequest;
import io.basalt.proto.KeepAliveResponse;
import io.basalt.proto.ListRecoveriesResponse;
import io.basalt.proto.RecoveryDoneRequest;
import io.basalt.proto.RecoveryInfo;
import io.basalt.proto.RecoveryProgress;
import io.basalt.proto.RecoveryTask;
import io.basalt.proto.RecoveryThrottle;
import io.basalt.proto.ReleaseLeaseRequest;
import io.basalt.proto.ReplicaFailedRequest;
import io.basalt.proto.ReplicaQuarantinedRequest;
import io.basalt.proto.ReportReplicasRequest;
import io.basalt.proto.ReportReplicasResponse;
import io.basalt.proto.SessionGroup;
import io.basalt.proto.SessionState;
import io.basalt.proto.SetRecoveryThrottleRequest;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.StaleEpochException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recovery on a real leader (embedded ZooKeeper, fenced writes), with the test playing four chunks: it keeps their
 * sessions alive (keepalive 100 ms, timeout 1 s) and sends ReplicaFailed, ReplicaQuarantined, RecoveryDone and
 * reports as they would.
 * Recovery passes run only when the test calls {@code passNow()}.
 */
@Timeout(120)
class RecoveryOpsTest {
  static final long MIB = 1L << 20;

  @TempDir
  Path dir;
  EmbeddedZooKeeper zk;
  volatile MetaCore core;
  MetricRegistry registry;
  final Set<Integer> silent = ConcurrentHashMap.newKeySet();
  final AtomicInteger rounds = new AtomicInteger();
  final Map<Integer, Long> used = new ConcurrentHashMap<>();
  final Map<Integer, TestSession> sessions = new ConcurrentHashMap<>();
  final ScheduledExecutorService keepalives = Executors.newSingleThreadScheduledExecutor();

  @BeforeEach
  void start() {
    zk = EmbeddedZooKeeper.start(dir);
    startLeader();
    registerChunks(core, 4);
    keepalives.scheduleWithFixedDelay(this::keepAll, 0, 100, TimeUnit.MILLISECONDS);
    await().atMost(Duration.ofSeconds(20)).until(() -> sessions.size() == 4);
    MetaTestSupport.awaitGraceOver(core);
  }

  private void startLeader() {
    startLeader(config(zk.getConnectionString()));
  }

  private void startLeader(MetaConfig config) {
    registry = new MetricRegistry();
    core = awaitActive(MetaCore.start(config, "127.0.0.1:7001", registry));
  }

  private void restartLeader() {
    core.close();
    startLeader();
  }

  /** A new leader with the return wait {@code wait}, its grace over (the chunks' sessions carry over). */
  private void restartLeaderWithReturnWait(Duration wait) {
    core.close();
    startLeader(config(zk.getConnectionString()).withRecoveryReturnWait(wait));
    await().atMost(Duration.ofSeconds(10)).until(() -> sessions.size() == 4);
    MetaTestSupport.awaitGraceOver(core);
  }

  /** Keeps every chunk not silenced alive; a session is replaced only when meta says it is gone. */
  private void keepAll() {
    MetaTestSupport.keepAliveAll(core, sessions, c -> used.getOrDefault(c, 0L),
        IntStream.rangeClosed(1, 4).filter(c -> !silent.contains(c)).toArray());
    rounds.incrementAndGet();
  }

  /** Stops {@code cid}'s keepalives: returns once no round that may still include it is running. */
  private void silence(int cid) {
    silent.add(cid);
    int seen = rounds.get();
    await().atMost(Duration.ofSeconds(10)).until(() -> rounds.get() >= seen + 2);
  }

  @AfterEach
  void stop() throws InterruptedException {
    keepalives.shutdownNow();
    keepalives.awaitTermination(5, TimeUnit.SECONDS);
    core.close();
    zk.close();
  }

  // ---- helpers ----

  ExtentInfo allocate(int preferred) {
    return allocate("v" + preferred, 3, preferred);
  }

  ExtentInfo allocate(String volume, int replicas, int preferred) {
    var v = core.volumes().create(CreateVolumeRequest.newBuilder().setName(volume).setSizeBytes(4 * MIB)
        .setReplicas(replicas).setExtentSize(MIB).build()).join();
    return core.extents().allocate(AllocateExtentRequest.newBuilder().setVid(v.getVid()).setIndex(0)
        .setPreferredCid(preferred).build()).join();
  }

  ExtentInfo get(long pid) {
    return core.extents().get(pid).join();
  }

  PExtent table(long pid) {
    return core.metaState().read(t -> t.extents().get(pid)).join();
  }

  ExtentInfo lease(long pid, int cid) {
    return MetaTestSupport.lease(core, pid, sessions.get(cid));
  }

  void release(long pid, int cid) {
    core.sessions().release(ReleaseLeaseRequest.newBuilder().setPid(pid).setCid(cid)
        .setSessionEpoch(sessions.get(cid).epoch()).build()).join();
  }

  ReplicaFailedRequest failed(ExtentInfo e, int owner, int failedCid) {
    return ReplicaFailedRequest.newBuilder().setPid(e.getPid()).setEpoch(e.getEpoch()).setOwnerCid(owner)
        .setOwnerSession(sessions.get(owner).epoch()).setFailedCid(failedCid).setReason("test").build();
  }

  /** ReplicaQuarantined from {@code cid} under its current session. */
  ReplicaQuarantinedRequest quarantined(long pid, int cid) {
    TestSession s = sessions.get(cid);
    return ReplicaQuarantinedRequest.newBuilder().setPid(pid).setCid(cid).setSessionUuid(s.uuid())
        .setSessionEpoch(s.epoch()).setEpoch(get(pid).getEpoch()).setReason("test: apply failed").build();
  }

  ExtentInfo quarantine(long pid, int cid) {
    return core.recovery().replicaQuarantined(quarantined(pid, cid)).join();
  }

  ExtentInfo done(long pid, long recoveryEpoch, int cid) {
    return core.recovery().recoveryDone(RecoveryDoneRequest.newBuilder().setPid(pid).setRecoveryEpoch(recoveryEpoch)
        .setCid(cid).setBytesCopied(MIB).build()).join();
  }

  KeepAliveResponse keepAlive(int cid, RecoveryProgress... progress) {
    TestSession s = sessions.get(cid);
    return core.sessions().keepAlive(KeepAliveRequest.newBuilder().setGroup(SessionGroup.CHUNK).setCid(cid)
        .setSessionUuid(s.uuid()).setSessionEpoch(s.epoch()).addAllRecoveries(List.of(progress)).build()).join();
  }

  ReportReplicasResponse report(int cid, long pid) {
    return core.chunks().reportReplicas(ReportReplicasRequest.newBuilder().setCid(cid).addPids(pid).build()).join();
  }

  /** A report that names {@code pid} as a copy the chunk can catch up incrementally. */
  ReportReplicasResponse reportCatchUp(int cid, long pid) {
    return core.chunks().reportReplicas(ReportReplicasRequest.newBuilder().setCid(cid).addPids(pid)
        .addCatchupPids(pid).build()).join();
  }

  /** The chunk restarts: a new session supersedes its old one, and the keepalive thread keeps the new one alive. */
  void restartChunk(int cid) {
    sessions.put(cid, MetaTestSupport.openSession(core, cid));
    silent.remove(cid);
  }

  int pass() {
    return core.recoveryScheduler().passNow().join();
  }

  long counter(String name) {
    return registry.counter(name).getCount();
  }

  static int outsider(ExtentInfo e) {
    return IntStream.rangeClosed(1, 4).filter(c -> !e.getReplicasList().contains(c)).findFirst().orElseThrow();
  }

  /**
   * An extent owned by its first replica that lost its last replica through ReplicaFailed: DEGRADED. The victim
   * stays alive under its session and is heard after the failure (only its data channel failed, TESTPLAN F12), so
   * recovery does not wait for it to return: it picks another chunk at once while the victim cools down.
   */
  record Degraded(ExtentInfo extent, int owner, int victim, int outsider) {}

  Degraded degraded() {
    ExtentInfo e = allocate(1);
    int owner = e.getReplicas(0);
    int victim = e.getReplicas(2);
    ExtentInfo leased = lease(e.getPid(), owner);
    ExtentInfo after = core.recovery().replicaFailed(failed(leased, owner, victim)).join();
    keepAlive(victim);
    return new Degraded(after, owner, victim, outsider(e));
  }

  // ---- tests ----

  @Test
  void replicaFailedRemovesTheMemberAndRecoveryPromotesATarget() {
    ExtentInfo e = allocate(1);
    int owner = e.getReplicas(0);
    int victim = e.getReplicas(2);
    int outsider = outsider(e);
    ExtentInfo leased = lease(e.getPid(), owner);
    ExtentInfo after = core.recovery().replicaFailed(failed(leased, owner, victim)).join();
    assertThat(after.getReplicasList()).containsExactly(e.getReplicas(0), e.getReplicas(1));
    assertThat(after.getEpoch()).isEqualTo(leased.getEpoch() + 1);
    assertThat(after.getState()).isEqualTo(ExtentState.EXTENT_DEGRADED);
    assertThat(after.getOwnerCid()).isEqualTo(owner);
    assertThat(counter("basalt_meta_replica_failed_removed")).isEqualTo(1);

    keepAlive(victim); // alive after the failure: its data channel failed, recovery does not wait for its return
    assertThat(pass()).isEqualTo(1);
    ExtentInfo rec = get(e.getPid());
    assertThat(rec.getRecoveringCid()).as("the victim cools down").isEqualTo(outsider);
    assertThat(rec.getRecoveringAddress()).isEqualTo("127.0.0.1:" + (9000 + outsider));
    assertThat(rec.getEpoch()).isEqualTo(after.getEpoch() + 1);
    assertThat(rec.getRecoveryEpoch()).isEqualTo(rec.getEpoch());
    assertThat(rec.getState()).isEqualTo(ExtentState.EXTENT_RECOVERING);
    assertThat(rec.getReplicasList()).isEqualTo(after.getReplicasList());
    assertThat(table(e.getPid()).recoveryBound()).as("a live owner binds at once").isTrue();
    assertThat(pass()).as("one target at a time").isZero();

    KeepAliveResponse ka = keepAlive(outsider);
    assertThat(ka.getRecoveryTasksList()).containsExactly(RecoveryTask.newBuilder().setPid(e.getPid())
        .setRecoveryEpoch(rec.getRecoveryEpoch()).setExtentSize(MIB).build());
    assertThat(ka.getRecoveryThrottle()).isEqualTo(RecoveryThrottle.newBuilder().setBytesPerSec(200 * MIB)
        .setPerChunk(4).build());
    assertThat(keepAlive(owner).getRecoveryTasksList()).isEmpty();

    ListRecoveriesResponse ls = core.recoveryAdmin().list().join();
    assertThat(ls.getDegraded()).isEqualTo(1);
    assertThat(ls.getRecovering()).isEqualTo(1);
    assertThat(ls.getRecoveries(0).getTargetCid()).isEqualTo(outsider);
    assertThat(ls.getRecoveries(0).getSourceCid()).isEqualTo(owner);
    assertThat(ls.getRecoveries(0).getState()).isEqualTo("starting");
    assertThat(ls.getRecoveries(0).getVolume()).isEqualTo("v1");

    keepAlive(outsider, RecoveryProgress.newBuilder().setPid(e.getPid()).setRecoveryEpoch(rec.getRecoveryEpoch())
        .setBytesDone(MIB / 2).setBytesTotal(MIB).setBytesPerSec(MIB / 4).setSourceCid(owner).setState("copying")
        .build(), RecoveryProgress.newBuilder().setPid(e.getPid()).setRecoveryEpoch(1).setState("stale").build());
    RecoveryInfo running = core.recoveryAdmin().list().join().getRecoveries(0);
    assertThat(running.getState()).isEqualTo("copying");
    assertThat(running.getBytesDone()).isEqualTo(MIB / 2);
    assertThat(running.getEtaMs()).isEqualTo(2000);
    assertThat(running.getRunningMs()).isGreaterThanOrEqualTo(0);

    ExtentInfo promoted = done(e.getPid(), rec.getRecoveryEpoch(), outsider);
    assertThat(promoted.getReplicasList()).containsExactly(e.getReplicas(0), e.getReplicas(1), outsider);
    assertThat(promoted.getEpoch()).isEqualTo(rec.getEpoch() + 1);
    assertThat(promoted.getState()).isEqualTo(ExtentState.EXTENT_HEALTHY);
    assertThat(promoted.getRecoveringCid()).isZero();
    assertThat(done(e.getPid(), rec.getRecoveryEpoch(), outsider)).as("idempotent").isEqualTo(promoted);
    BasaltException stale = failure(core.recovery().recoveryDone(RecoveryDoneRequest.newBuilder()
        .setPid(e.getPid()).setRecoveryEpoch(rec.getRecoveryEpoch()).setCid(victim).build()));
    assertThat(stale.code()).isEqualTo(ErrorCode.STALE_EPOCH);
    assertThat(failure(core.recovery().recoveryDone(RecoveryDoneRequest.newBuilder().setPid(999).setCid(victim)
        .build())).code()).isEqualTo(ErrorCode.NO_SUCH_EXTENT);
    assertThat(keepAlive(outsider).getRecoveryTasksList()).isEmpty();
    assertThat(core.recoveryAdmin().list().join().getRecoveriesList()).isEmpty();
    assertThat(counter("basalt_meta_recovery_started")).isEqualTo(1);
    assertThat(counter("basalt_meta_recovery_completed")).isEqualTo(1);
    assertThat(registry.timer("basalt_meta_recovery_duration").getCount()).isEqualTo(1);
  }

  @Test
  void replicaFailedChecksEpochOwnerAndMinimumMembers() {
    ExtentInfo e = allocate(1);
    int owner = e.getReplicas(0);
    ExtentInfo leased = lease(e.getPid(), owner);
    BasaltException stale = failure(core.recovery().replicaFailed(failed(leased, owner, e.getReplicas(2)).toBuilder()
        .setEpoch(leased.getEpoch() - 1).build()));
    assertThat(stale).isInstanceOf(StaleEpochException.class);
    assertThat(((StaleEpochException) stale).currentEpoch()).isEqualTo(leased.getEpoch());
    assertThat(failure(core.recovery().replicaFailed(failed(leased, e.getReplicas(1), e.getReplicas(2)))).code())
        .as("a member that is not the owner").isEqualTo(ErrorCode.NOT_OWNER);
    assertThat(failure(core.recovery().replicaFailed(failed(leased, owner, e.getReplicas(2)).toBuilder()
        .setOwnerSession(1).build())).code()).as("the owner cid under another session").isEqualTo(ErrorCode.NOT_OWNER);
    assertThat(failure(core.recovery().replicaFailed(failed(leased, owner, e.getReplicas(2)).toBuilder().setPid(999)
        .build())).code()).isEqualTo(ErrorCode.NO_SUCH_EXTENT);
    assertThat(failure(core.recovery().replicaFailed(failed(leased, owner, owner))).code())
        .isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(get(e.getPid())).as("nothing changed").isEqualTo(leased);

    ExtentInfo two = core.recovery().replicaFailed(failed(leased, owner, e.getReplicas(2))).join();
    BasaltException refused = failure(core.recovery().replicaFailed(failed(two, owner, e.getReplicas(1))));
    assertThat(refused.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(refused.retryable()).isTrue();
    assertThat(refused.getMessage()).contains("below 2");
    assertThat(get(e.getPid())).isEqualTo(two);
    assertThat(counter("basalt_meta_replica_failed_refused")).isEqualTo(1);
    assertThat(core.recovery().replicaFailed(failed(two, owner, outsider(e))).join())
        .as("not a member: the current extent").isEqualTo(two);
  }

  @Test
  void replicaFailedIsRefusedInJeopardy() {
    ExtentInfo e = allocate(4);
    assertThat(e.getReplicas(0)).isEqualTo(4);
    ExtentInfo leased = lease(e.getPid(), 4);
    silent.addAll(List.of(1, 2, 3));
    await().atMost(Duration.ofSeconds(10)).until(() -> core.sessions().status().join().getJeopardy());
    BasaltException refused = failure(core.recovery().replicaFailed(failed(leased, 4, e.getReplicas(1))));
    assertThat(refused.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(refused.getMessage()).contains("jeopardy");
    assertThat(pass()).isZero();
  }

  @Test
  void aFailedTargetIsDropped() {
    Degraded d = degraded();
    pass();
    ExtentInfo rec = get(d.extent().getPid());
    ExtentInfo dropped = core.recovery().replicaFailed(failed(rec, d.owner(), d.outsider())).join();
    assertThat(dropped.getRecoveringCid()).isZero();
    assertThat(dropped.getEpoch()).isEqualTo(rec.getEpoch() + 1);
    assertThat(dropped.getState()).isEqualTo(ExtentState.EXTENT_DEGRADED);
    assertThat(dropped.getReplicasList()).isEqualTo(rec.getReplicasList());
    assertThat(counter("basalt_meta_recovery_dropped")).isEqualTo(1);
    BasaltException late = failure(core.recovery().recoveryDone(RecoveryDoneRequest.newBuilder()
        .setPid(rec.getPid()).setRecoveryEpoch(rec.getRecoveryEpoch()).setCid(d.outsider()).build()));
    assertThat(late.code()).as("the dropped target stops").isEqualTo(ErrorCode.STALE_EPOCH);
  }

  @Test
  void replicaQuarantinedRemovesTheMemberWhichCoolsDown() {
    ExtentInfo e = allocate(1);
    int owner = e.getReplicas(0);
    int victim = e.getReplicas(2);
    int outsider = outsider(e);
    ExtentInfo leased = lease(e.getPid(), owner);
    ExtentInfo after = quarantine(e.getPid(), victim);
    assertThat(after.getReplicasList()).containsExactly(e.getReplicas(0), e.getReplicas(1));
    assertThat(after.getEpoch()).isEqualTo(leased.getEpoch() + 1);
    assertThat(after.getState()).isEqualTo(ExtentState.EXTENT_DEGRADED);
    assertThat(after.getOwnerCid()).as("another member's lease stays").isEqualTo(owner);
    assertThat(table(e.getPid()).ownerSession()).isEqualTo(sessions.get(owner).epoch());
    assertThat(counter("basalt_meta_replica_quarantined_removed")).isEqualTo(1);
    assertThat(counter("basalt_meta_replica_failed_removed")).isZero();
    assertThat(quarantine(e.getPid(), victim)).as("again: no longer a member, the current extent").isEqualTo(after);
    assertThat(counter("basalt_meta_replica_quarantined_removed")).isEqualTo(1);

    silent.add(outsider); // the only other candidate goes: the quarantined chunk alone is left, cooling down
    await().atMost(Duration.ofSeconds(10)).until(() -> core.sessions().list().join().getSessionsList().stream()
        .noneMatch(s -> s.getCid() == outsider && s.getState() == SessionState.SESSION_ALIVE));
    assertThat(pass()).as("no target: the quarantined chunk cools down").isZero();
    assertThat(get(e.getPid()).getRecoveringCid()).isZero();
  }

  @Test
  void aQuarantinedOwnerLosesTheLeaseToTheNextMemberThatAsks() {
    ExtentInfo e = allocate(1);
    int owner = e.getReplicas(0);
    int next = e.getReplicas(1);
    ExtentInfo leased = lease(e.getPid(), owner);
    assertThat(leased.getOwnerCid()).isEqualTo(owner);

    ExtentInfo after = quarantine(e.getPid(), owner);
    assertThat(after.getReplicasList()).containsExactly(e.getReplicas(1), e.getReplicas(2));
    assertThat(after.getEpoch()).isEqualTo(leased.getEpoch() + 1);
    assertThat(after.getState()).isEqualTo(ExtentState.EXTENT_DEGRADED);
    assertThat(after.getOwnerCid()).as("the lease went with the member").isZero();
    assertThat(table(e.getPid()).ownerCid()).isZero();
    assertThat(table(e.getPid()).ownerSession()).isZero();

    ExtentInfo granted = lease(e.getPid(), next);
    assertThat(granted.getOwnerCid()).as("another member is granted at once").isEqualTo(next);
    assertThat(granted.getEpoch()).isEqualTo(after.getEpoch() + 1);
    ExtentInfo refused = core.extents().acquireLease(AcquireLeaseRequest.newBuilder()
        .setPid(e.getPid()).setCid(owner).setSessionUuid(sessions.get(owner).uuid())
        .setSessionEpoch(sessions.get(owner).epoch()).build()).join();
    assertThat(refused.getOwnerCid()).as("the quarantined chunk is no member any more: no lease, the extent "
        + "unchanged").isEqualTo(next);
    assertThat(refused.getEpoch()).isEqualTo(granted.getEpoch());

    assertThat(pass()).isEqualTo(1);
    assertThat(get(e.getPid()).getRecoveringCid()).as("the quarantined chunk cools down").isEqualTo(outsider(e));
  }

  @Test
  void aQuarantinedTargetIsDropped() {
    Degraded d = degraded();
    long pid = d.extent().getPid();
    pass();
    ExtentInfo rec = get(pid);
    int target = rec.getRecoveringCid();
    assertThat(target).isEqualTo(d.outsider());
    ExtentInfo dropped = quarantine(pid, target);
    assertThat(dropped.getRecoveringCid()).isZero();
    assertThat(dropped.getEpoch()).isEqualTo(rec.getEpoch() + 1);
    assertThat(dropped.getState()).isEqualTo(ExtentState.EXTENT_DEGRADED);
    assertThat(dropped.getReplicasList()).isEqualTo(rec.getReplicasList());
    assertThat(dropped.getOwnerCid()).isEqualTo(d.owner());
    assertThat(counter("basalt_meta_recovery_dropped")).isEqualTo(1);
    assertThat(counter("basalt_meta_replica_quarantined_removed")).isZero();
    assertThat(keepAlive(target).getRecoveryTasksList()).isEmpty();
    BasaltException late = failure(core.recovery().recoveryDone(RecoveryDoneRequest.newBuilder()
        .setPid(pid).setRecoveryEpoch(rec.getRecoveryEpoch()).setCid(target).build()));
    assertThat(late.code()).as("the dropped target stops").isEqualTo(ErrorCode.STALE_EPOCH);
    assertThat(pass()).as("the failed victim and the quarantined target both cool down").isZero();
  }

  @Test
  void aNonMemberGetsTheCurrentExtentUnchanged() {
    ExtentInfo e = allocate(1);
    ExtentInfo leased = lease(e.getPid(), e.getReplicas(0));
    assertThat(quarantine(e.getPid(), outsider(e))).isEqualTo(leased);
    assertThat(get(e.getPid())).isEqualTo(leased);
    assertThat(counter("basalt_meta_replica_quarantined_removed")).isZero();
    assertThat(counter("basalt_meta_replica_quarantined_refused")).isZero();
  }

  @Test
  void replicaQuarantinedNeedsTheChunksLiveSession() {
    ExtentInfo e = allocate(1);
    ExtentInfo leased = lease(e.getPid(), e.getReplicas(0));
    int member = e.getReplicas(2);
    ReplicaQuarantinedRequest ok = quarantined(e.getPid(), member);
    assertThat(failure(core.recovery().replicaQuarantined(ok.toBuilder().setSessionUuid("no-such-session")
        .build())).code()).as("unknown session").isEqualTo(ErrorCode.NO_SESSION);
    assertThat(failure(core.recovery().replicaQuarantined(ok.toBuilder().setSessionEpoch(ok.getSessionEpoch() + 1)
        .build())).code()).as("another session epoch").isEqualTo(ErrorCode.NO_SESSION);
    TestSession other = sessions.get(e.getReplicas(1));
    assertThat(failure(core.recovery().replicaQuarantined(ok.toBuilder().setSessionUuid(other.uuid())
        .setSessionEpoch(other.epoch()).build())).code()).as("another chunk's session")
        .isEqualTo(ErrorCode.NO_SESSION);
    assertThat(failure(core.recovery().replicaQuarantined(ok.toBuilder().setPid(999).build())).code())
        .isEqualTo(ErrorCode.NO_SUCH_EXTENT);

    TestSession fresh = MetaTestSupport.openSession(core, member); // a reconnect ends the old session
    sessions.put(member, fresh);
    BasaltException ended = failure(core.recovery().replicaQuarantined(ok));
    assertThat(ended.code()).as("an ended session").isEqualTo(ErrorCode.NO_SESSION);
    assertThat(ended.retryable()).isTrue();
    assertThat(get(e.getPid())).as("nothing changed").isEqualTo(leased);
    assertThat(quarantine(e.getPid(), member).getReplicasList()).as("the new session is heard")
        .containsExactly(e.getReplicas(0), e.getReplicas(1));
  }

  @Test
  void replicaQuarantinedIsRefusedBelowTheFloor() {
    Degraded d = degraded();
    long pid = d.extent().getPid();
    ExtentInfo two = get(pid);
    assertThat(two.getReplicasCount()).isEqualTo(2);
    for (int member : two.getReplicasList()) {
      BasaltException refused = failure(core.recovery().replicaQuarantined(quarantined(pid, member)));
      assertThat(refused.code()).isEqualTo(ErrorCode.UNAVAILABLE);
      assertThat(refused.retryable()).isTrue();
      assertThat(refused.getMessage()).contains("ReplicaQuarantined").contains("below 2");
    }
    assertThat(get(pid)).as("nothing changed").isEqualTo(two);
    assertThat(counter("basalt_meta_replica_quarantined_refused")).isEqualTo(2);
    assertThat(counter("basalt_meta_replica_quarantined_removed")).isZero();
    assertThat(counter("basalt_meta_replica_failed_refused")).isZero();

    ExtentInfo pair = allocate("pair", 2, 2);
    assertThat(pair.getReplicasCount()).isEqualTo(2);
    ExtentInfo single = quarantine(pair.getPid(), pair.getReplicas(1));
    assertThat(single.getReplicasList()).as("expected 2: down to one member is allowed, as for ReplicaFailed")
        .containsExactly(pair.getReplicas(0));
    BasaltException last = failure(core.recovery().replicaQuarantined(quarantined(pair.getPid(),
        pair.getReplicas(0))));
    assertThat(last.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(last.retryable()).isTrue();
    assertThat(last.getMessage()).contains("below 1");
    assertThat(get(pair.getPid())).isEqualTo(single);
  }

  @Test
  void replicaQuarantinedIsRefusedInJeopardy() {
    ExtentInfo e = allocate(4);
    assertThat(e.getReplicas(0)).isEqualTo(4);
    ExtentInfo leased = lease(e.getPid(), 4);
    silent.addAll(List.of(1, 2, 3));
    await().atMost(Duration.ofSeconds(10)).until(() -> core.sessions().status().join().getJeopardy());
    BasaltException refused = failure(core.recovery().replicaQuarantined(quarantined(e.getPid(), 4)));
    assertThat(refused.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(refused.retryable()).isTrue();
    assertThat(refused.getMessage()).contains("jeopardy");
    assertThat(get(e.getPid()).getReplicasList()).isEqualTo(leased.getReplicasList());
  }

  @Test
  void theFirstLeaseGrantBindsTheRecoveryAndALaterOneDropsIt() {
    Degraded d = degraded();
    long pid = d.extent().getPid();
    int other = d.extent().getReplicas(1);
    release(pid, d.owner());
    assertThat(pass()).isEqualTo(1);
    assertThat(table(pid).recoveryBound()).as("no owner when assigned").isFalse();
    ExtentInfo assigned = get(pid);

    ExtentInfo bound = lease(pid, other);
    assertThat(bound.getOwnerCid()).isEqualTo(other);
    assertThat(bound.getRecoveringCid()).isEqualTo(d.outsider());
    assertThat(bound.getRecoveryEpoch()).isEqualTo(assigned.getRecoveryEpoch());
    assertThat(bound.getEpoch()).isEqualTo(assigned.getEpoch() + 1);
    assertThat(table(pid).recoveryBound()).isTrue();

    release(pid, other);
    ExtentInfo regranted = lease(pid, d.owner());
    assertThat(regranted.getOwnerCid()).isEqualTo(d.owner());
    assertThat(regranted.getRecoveringCid()).as("a new owner drops the target").isZero();
    assertThat(regranted.getEpoch()).as("the grant's bump covers the drop").isEqualTo(bound.getEpoch() + 1);
    assertThat(regranted.getState()).isEqualTo(ExtentState.EXTENT_DEGRADED);
    assertThat(counter("basalt_meta_recovery_dropped")).isEqualTo(1);
    assertThat(pass()).as("recovery starts again").isEqualTo(1);
  }

  @Test
  void aTargetWhoseSessionEndsLosesItsRecovery() {
    Degraded d = degraded();
    long pid = d.extent().getPid();
    pass();
    ExtentInfo rec = get(pid);
    TestSession fresh = MetaTestSupport.openSession(core, d.outsider()); // a reconnect supersedes the session
    sessions.put(d.outsider(), fresh);
    await().atMost(Duration.ofSeconds(10)).until(() -> get(pid).getRecoveringCid() == 0);
    ExtentInfo dropped = get(pid);
    assertThat(dropped.getEpoch()).isEqualTo(rec.getEpoch() + 1);
    assertThat(dropped.getState()).isEqualTo(ExtentState.EXTENT_DEGRADED);
    assertThat(keepAlive(d.outsider()).getRecoveryTasksList()).isEmpty();

    assertThat(pass()).as("both non-members cool down: the extent waits rather than re-add a failed chunk")
        .isZero();
    assertThat(get(pid).getRecoveringCid()).isZero();
  }

  @Test
  void aTargetWhoseSessionExpiresLosesItsRecovery() {
    Degraded d = degraded();
    long pid = d.extent().getPid();
    pass();
    int target = get(pid).getRecoveringCid();
    assertThat(target).isIn(d.victim(), d.outsider());
    silent.add(target);
    await().atMost(Duration.ofSeconds(10)).until(() -> get(pid).getRecoveringCid() == 0);
    assertThat(get(pid).getState()).isEqualTo(ExtentState.EXTENT_DEGRADED);
    assertThat(counter("basalt_meta_recovery_dropped")).isEqualTo(1);
  }

  @Test
  void staleCopiesAreCollectedOnlyOnceTheExtentIsFullyRedundant() {
    Degraded d = degraded();
    long pid = d.extent().getPid();
    ReportReplicasResponse early = report(d.victim(), pid);
    assertThat(early.getStalePidsList()).containsExactly(pid);
    assertThat(early.getGcPidsList()).isEmpty();

    pass();
    ExtentInfo rec = get(pid);
    ReportReplicasResponse target = report(d.outsider(), pid);
    assertThat(target.getStalePidsList()).as("the target's copy is not stale").isEmpty();
    assertThat(target.getGcPidsList()).isEmpty();
    assertThat(report(d.victim(), pid).getGcPidsList()).as("still recovering").isEmpty();

    done(pid, rec.getRecoveryEpoch(), d.outsider());
    ReportReplicasResponse late = report(d.victim(), pid);
    assertThat(late.getStalePidsList()).containsExactly(pid);
    assertThat(late.getGcPidsList()).containsExactly(pid);
  }

  @Test
  void throttleIsValidatedAndSurvivesALeaderRestart() {
    assertThat(failure(core.recoveryAdmin().setThrottle(SetRecoveryThrottleRequest.newBuilder()
        .setBytesPerSec(1000).build())).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(failure(core.recoveryAdmin().setThrottle(SetRecoveryThrottleRequest.newBuilder().setPerChunk(65)
        .build())).getMessage()).contains("1..64");
    RecoveryThrottle set = core.recoveryAdmin().setThrottle(SetRecoveryThrottleRequest.newBuilder()
        .setBytesPerSec(50 * MIB).build()).join().getThrottle();
    assertThat(set).isEqualTo(RecoveryThrottle.newBuilder().setBytesPerSec(50 * MIB).setPerChunk(4).build());
    RecoveryThrottle both = core.recoveryAdmin().setThrottle(SetRecoveryThrottleRequest.newBuilder().setPerChunk(8)
        .build()).join().getThrottle();
    assertThat(both).isEqualTo(RecoveryThrottle.newBuilder().setBytesPerSec(50 * MIB).setPerChunk(8).build());

    restartLeader();
    assertThat(core.recoveryAdmin().list().join().getThrottle()).isEqualTo(both);
    await().atMost(Duration.ofSeconds(10)).until(() -> sessions.size() == 4);
    assertThat(keepAlive(1).getRecoveryThrottle()).isEqualTo(both);
  }

  @Test
  void aRecoverySurvivesALeaderRestart() {
    Degraded d = degraded();
    long pid = d.extent().getPid();
    pass();
    ExtentInfo rec = get(pid);
    restartLeader();
    ExtentInfo reloaded = get(pid);
    assertThat(reloaded.getRecoveringCid()).isEqualTo(d.outsider());
    assertThat(reloaded.getRecoveryEpoch()).isEqualTo(rec.getRecoveryEpoch());
    assertThat(reloaded.getEpoch()).isEqualTo(rec.getEpoch());
    assertThat(reloaded.getState()).isEqualTo(ExtentState.EXTENT_RECOVERING);
    await().atMost(Duration.ofSeconds(10)).until(() ->
        keepAlive(d.outsider()).getRecoveryTasksList().stream().anyMatch(t -> t.getPid() == pid));
    MetaTestSupport.awaitGraceOver(core);
    assertThat(get(pid).getRecoveringCid()).as("the target kept its session across the restart")
        .isEqualTo(d.outsider());
    assertThat(pass()).as("after the grace the pass resumes the recovery, it does not start another").isZero();
    assertThat(get(pid).getRecoveryEpoch()).isEqualTo(rec.getRecoveryEpoch());
    ExtentInfo promoted = done(pid, rec.getRecoveryEpoch(), d.outsider());
    assertThat(promoted.getReplicasList()).contains(d.outsider()).hasSize(3);
    assertThat(promoted.getState()).isEqualTo(ExtentState.EXTENT_HEALTHY);
  }

  // ---- returning members (TESTPLAN F03) ----

  @Test
  void aKilledMemberIsWaitedForAndIsTheTargetWhenItReturnsWithItsCopy() {
    restartLeaderWithReturnWait(Duration.ofSeconds(60));
    ExtentInfo e = allocate(1);
    int owner = e.getReplicas(0);
    int victim = e.getReplicas(2);
    ExtentInfo leased = lease(e.getPid(), owner);
    silence(victim); // kill -9: no keepalive after the owner's replicate fails
    ExtentInfo after = core.recovery().replicaFailed(failed(leased, owner, victim)).join();
    assertThat(after.getReplicasList()).doesNotContain(victim);

    assertThat(pass()).as("silent since it left: the extent waits for it").isZero();
    assertThat(pass()).isZero();
    assertThat(counter("basalt_meta_recovery_return_waits")).as("counted once per departure").isEqualTo(1);
    assertThat(core.recoveryAdmin().list().join().getDegraded()).isEqualTo(1);

    restartChunk(victim);
    assertThat(pass()).as("restarted, but no report yet: still waits").isZero();
    ReportReplicasResponse stale = reportCatchUp(victim, e.getPid());
    assertThat(stale.getStalePidsList()).containsExactly(e.getPid());
    assertThat(stale.getGcPidsList()).isEmpty();

    assertThat(pass()).isEqualTo(1);
    ExtentInfo rec = get(e.getPid());
    assertThat(rec.getRecoveringCid()).as("the returning chunk, though it cools down after ReplicaFailed")
        .isEqualTo(victim);
    assertThat(counter("basalt_meta_recovery_returning_targets")).isEqualTo(1);
    assertThat(counter("basalt_meta_recovery_return_waits")).isEqualTo(1);
    assertThat(reportCatchUp(victim, e.getPid()).getStalePidsList()).as("the target's own copy").isEmpty();
    ExtentInfo promoted = done(e.getPid(), rec.getRecoveryEpoch(), victim);
    assertThat(promoted.getReplicasList()).containsExactlyInAnyOrder(owner, e.getReplicas(1), victim);
    assertThat(promoted.getState()).isEqualTo(ExtentState.EXTENT_HEALTHY);
  }

  @Test
  void aDepartedMemberThatDoesNotReturnLosesItsChanceWhenTheWaitEnds() {
    restartLeaderWithReturnWait(Duration.ofMillis(300));
    ExtentInfo e = allocate(1);
    int owner = e.getReplicas(0);
    int victim = e.getReplicas(2);
    ExtentInfo leased = lease(e.getPid(), owner);
    silence(victim);
    core.recovery().replicaFailed(failed(leased, owner, victim)).join();
    assertThat(pass()).as("within the wait").isZero();
    await().atMost(Duration.ofSeconds(10)).until(() -> pass() == 1);
    assertThat(get(e.getPid()).getRecoveringCid()).as("another chunk, as before").isEqualTo(outsider(e));
    assertThat(counter("basalt_meta_recovery_returning_targets")).isZero();
  }

  @Test
  void noWaitWhenOnlyOneLiveReplicaIsLeft() {
    restartLeaderWithReturnWait(Duration.ofSeconds(60));
    ExtentInfo pair = allocate("pair", 2, 1);
    int owner = pair.getReplicas(0);
    int victim = pair.getReplicas(1);
    ExtentInfo leased = lease(pair.getPid(), owner);
    silence(victim);
    core.recovery().replicaFailed(failed(leased, owner, victim)).join();
    assertThat(pass()).as("one copy left: recover now").isEqualTo(1);
    assertThat(get(pair.getPid()).getRecoveringCid()).isNotIn(owner, victim);
    assertThat(counter("basalt_meta_recovery_return_waits")).isZero();
  }

  @Test
  void aZeroReturnWaitRecoversAtOnceAsBefore() {
    restartLeaderWithReturnWait(Duration.ZERO);
    ExtentInfo e = allocate(1);
    int owner = e.getReplicas(0);
    ExtentInfo leased = lease(e.getPid(), owner);
    silence(e.getReplicas(2));
    core.recovery().replicaFailed(failed(leased, owner, e.getReplicas(2))).join();
    assertThat(pass()).isEqualTo(1);
    assertThat(get(e.getPid()).getRecoveringCid()).isEqualTo(outsider(e));
  }

  @Test
  void aChunkBackAfterItsSessionExpiredIsPreferredForTheCopyItReports() {
    ExtentInfo e = allocate(1);
    int owner = e.getReplicas(0);
    int victim = e.getReplicas(2);
    lease(e.getPid(), owner);
    silence(victim);
    await().atMost(Duration.ofSeconds(10)).until(() -> !get(e.getPid()).getReplicasList().contains(victim));
    // Zones all differ: without its copy the emptier outsider would be the target (least used bytes).
    used.put(victim, 1L << 30);
    restartChunk(victim);
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      var c = core.metaState().read(t -> t.chunks().get(victim)).join();
      return c.status() == ChunkStatus.HEALTHY && c.usedBytes() > 0;
    });
    reportCatchUp(victim, e.getPid());
    assertThat(pass()).isEqualTo(1);
    assertThat(get(e.getPid()).getRecoveringCid()).as("no departure recorded (session expiry), but it holds a copy"
        + " it can catch up: preferred over the outsider").isEqualTo(victim);
    assertThat(counter("basalt_meta_recovery_returning_targets")).isEqualTo(1);
    assertThat(counter("basalt_meta_recovery_return_waits")).isZero();
  }
}
