package io.basalt.chunk;

import com.codahale.metrics.MetricRegistry;
import io.basalt.chunk.admin.AdminService;
import io.basalt.chunk.admin.TestAdminService;
import io.basalt.chunk.core.ChunkMetrics;
import io.basalt.chunk.core.ClientActivity;
import io.basalt.chunk.core.LocalChunk;
import io.basalt.chunk.core.MetaExtents;
import io.basalt.chunk.integrity.IntegrityService;
import io.basalt.chunk.integrity.QuarantineEvidence;
import io.basalt.chunk.integrity.ReplicaQuarantine;
import io.basalt.chunk.integrity.ScrubDigests;
import io.basalt.chunk.owner.DataService;
import io.basalt.chunk.owner.ExtentOwner;
import io.basalt.chunk.owner.FlushOp;
import io.basalt.chunk.owner.OwnerCopySource;
import io.basalt.chunk.owner.OwnerLease;
import io.basalt.chunk.owner.OwnerReads;
import io.basalt.chunk.owner.OwnerScrub;
import io.basalt.chunk.owner.OwnerTable;
import io.basalt.chunk.owner.PeerBacklog;
import io.basalt.chunk.owner.ReadRepair;
import io.basalt.chunk.owner.ReplicaPipes;
import io.basalt.chunk.recovery.MemberSync;
import io.basalt.chunk.recovery.MemberSyncService;
import io.basalt.chunk.recovery.RecoveringReplicas;
import io.basalt.chunk.recovery.RecoveryRunner;
import io.basalt.chunk.recovery.RecoveryService;
import io.basalt.chunk.replica.ReplicaApplier;
import io.basalt.chunk.replica.ReplicaService;
import io.basalt.chunk.session.ChunkRegistration;
import io.basalt.chunk.session.ChunkSession;
import io.basalt.chunk.session.HeartbeatLoop;
import io.basalt.chunk.session.SessionLease;
import io.basalt.chunk.store.ChunkIdentity;
import io.basalt.chunk.store.ReplicaMeta;
import io.basalt.chunk.store.ReplicaStore;
import io.basalt.chunk.store.RocksReplicaStore;
import io.basalt.chunk.store.RocksStoreConfig;
import io.basalt.failpoint.Failpoints;
import io.basalt.common.MetricsEndpoint;
import io.basalt.common.MonotonicClock;
import io.basalt.common.NamedThreads;
import io.basalt.common.OrderedExecutor;
import io.basalt.common.ServiceStack;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.ReplicaQuarantinedRequest;
import io.basalt.rpc.Deadlines;
import io.basalt.rpc.FrameLimits;
import io.basalt.rpc.NettyTransport;
import io.basalt.rpc.RpcClientFactory;
import io.basalt.rpc.RpcServer;
import io.basalt.session.FollowerSession;
import io.basalt.session.MetaClient;
import io.basalt.session.MetaLocator;
import io.basalt.session.SessionMetrics;
import io.basalt.session.ZkMetaLocator;
import io.netty.channel.EventLoopGroup;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One chunk server: wiring only. {@link #start()} opens the store, starts the ordered executor, io pool, peer
 * clients and the RPC server, the metrics endpoint, registers with meta (blocking until meta answers) and starts
 * the heartbeat loop, registering each part in a {@link ServiceStack} as it starts; {@link #close()} stops them in
 * reverse order (idempotent), and a start that fails half-way stops exactly what had started. No static state:
 * several chunk servers can run in one JVM (tests). Thread: start/close from any one thread; close may also interrupt
 * a start that is still waiting for meta. Every time decision of its parts reads the {@link MonotonicClock} it is
 * given.
 */
public final class ChunkServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ChunkServer.class);
  private static final Duration META_ATTEMPT = Duration.ofSeconds(3);
  private static final Duration META_BUDGET = Duration.ofSeconds(10);
  private static final Duration REPORT_BUDGET = Duration.ofSeconds(1);
  /** How often the data directory's free space is read and a full disk checked for space back (TESTPLAN F16). */
  private static final Duration DISK_POLL = Duration.ofMillis(500);
  /** How long a quarantined replica's evidence is kept unless an operator removes it first. */
  /** Copy threads: one recovery each (meta's default allows 4 per chunk; more wait for a thread). */
  private static final int RECOVERY_THREADS = 4;

  private final ChunkConfig cfg;
  private final MetricRegistry registry;
  private final ChunkMetrics metrics;
  /** Every time decision of this chunk (leases, write deadlines, report spacing, busy window) reads it. */
  private final MonotonicClock clock;
  private final LocalChunk local = new LocalChunk();
  private final CountDownLatch closing = new CountDownLatch(1);
  /** What has started, in start order; closed in reverse (by close(), or by a start that failed). */
  private final ServiceStack started;
  /** Fault-injection points, switched by tests (off and free in production). */
  private final Failpoints failpoints = Failpoints.fromSystemProperty();
  private RocksReplicaStore store;
  private ReplicaQuarantine quarantine;
  private RpcServer rpcServer;
  private MetricsEndpoint metricsEndpoint;
  private OwnerTable owners;
  private RecoveryRunner recoveries;
  private RecoveringReplicas recovering;
  /** Set once keepalives run (sessionState() answers CONNECTING before). */
  private volatile SessionLease sessionLease;

  public ChunkServer(ChunkConfig cfg) {
    this(cfg, new MetricRegistry());
  }

  public ChunkServer(ChunkConfig cfg, MetricRegistry registry) {
    this(cfg, registry, MonotonicClock.SYSTEM);
  }

  /** @param clock where this chunk reads time ({@link MonotonicClock#SYSTEM}; tests pass a manual clock) */
  public ChunkServer(ChunkConfig cfg, MetricRegistry registry, MonotonicClock clock) {
    this.cfg = cfg;
    this.registry = registry;
    this.clock = clock;
    this.started = new ServiceStack("chunk dir=" + cfg.dir());
    this.metrics = new ChunkMetrics(registry);
  }

  public synchronized ChunkServer start() {
    if (store != null) throw new IllegalStateException("chunk server already started");
    log.info("starting chunk server config={}", cfg);
    try {
      wire();
    } catch (Throwable e) { // also a checked exception Netty throws sneakily (a bind failure in RpcServer.start)
      started.close();
      throw e; // precise rethrow: only what wire() can throw
    }
    log.info("chunk server ready cid={} at {}", local.cid(), local.address());
    return this;
  }

  private void wire() {
    // Each part is registered right after it started; the stack stops them in reverse registration order. Where
    // a part must stop earlier than its start position implies, it is registered later, at the point its stop
    // belongs (commented there): the stop order is exactly the one this server has always had.
    store = started.add("store", RocksReplicaStore.open(cfg.dir(), RocksStoreConfig.defaults()
        .withSyncEveryWrite(cfg.syncEveryWrite()).withGenLogRetention(cfg.genLogRetention())
        .withDiskReserveBytes(cfg.diskReserveBytes())));
    metrics.diskSpace(store.diskSpace());
    // Its own thread: the poll's probe is a synced write, which must delay neither keepalives nor extents.
    ScheduledExecutorService diskPoll = Executors.newSingleThreadScheduledExecutor(new NamedThreads("chunk-disk"));
    started.onStop("disk poll", () -> shutdown(diskPoll));
    diskPoll.scheduleWithFixedDelay(() -> {
      try {
        store.diskSpace().poll();
      } catch (RuntimeException e) {
        log.warn("disk space poll failed dir={} error={}", cfg.dir(), e.toString());
      }
    }, DISK_POLL.toMillis(), DISK_POLL.toMillis(), TimeUnit.MILLISECONDS);
    // the meta servers' own ZooKeeper timeout (2/5 of the session timeout): see ZkMetaLocator.connect
    MetaLocator locator = started.add("meta locator", cfg.meta() != null ? MetaLocator.fixed(cfg.meta())
        : ZkMetaLocator.connect(cfg.zk(), cfg.cluster(), cfg.sessions().sessionTimeout().multipliedBy(2).dividedBy(5)));
    locator.epochs().register(registry); // the meta epoch seen, answers refused from a stale leader
    // Meta calls get their own loop: a reply from meta must never wait behind (or for) an extent's work.
    RpcClientFactory clients = started.add("meta rpc", new RpcClientFactory("chunk", registry, 1,
        FrameLimits.DEFAULT, Duration.ofSeconds(3)));
    MetaClient meta = started.add("meta client", new MetaClient(locator, clients, META_ATTEMPT, META_BUDGET));
    ExecutorService io = Executors.newFixedThreadPool(cfg.ioThreads(), new NamedThreads("chunk-io"));
    started.onStop("io pool", () -> shutdown(io));
    // Run to completion (DESIGN.md "Threads"): each extent's work runs on one event loop, the same loops that read
    // client and peer frames and send replicates, so a write crosses no thread inside this process. Nothing that
    // waits for another process runs on them (meta calls, takeovers, WAL syncs and copies have their own threads).
    EventLoopGroup loops = NettyTransport.group("chunk-loop", cfg.orderedThreads());
    OrderedExecutor ordered = OrderedExecutor.onLoops(loops);
    RpcClientFactory peers = new RpcClientFactory("chunk-data", registry, loops);
    PeerBacklog backlog = new PeerBacklog(cfg.peerBacklogBytes());
    // The loops (with the ordered executor on them) and the peer clients start here but are registered further
    // down: they must stop before the owner table fails its writes (see there), so they are registered after it.
    ReplicaPipes pipes = started.add("replica pipes", new ReplicaPipes(peers, ordered, metrics, backlog,
        cfg.replicateTimeout(), failpoints));
    // ReplicaFailed / RecoveryDone: a short budget, their callers retry on their own schedule.
    MetaClient reports = started.add("meta reports client", new MetaClient(locator, clients, META_ATTEMPT,
        REPORT_BUDGET));
    MetaExtents extents = new MetaExtents(meta, reports, META_BUDGET.plus(META_ATTEMPT));
    recovering = new RecoveringReplicas(store);
    int restartedCid = store.identity().map(ChunkIdentity::cid).orElse(0);
    recovering.afterRestart(restartedCid, (pid, recoveryEpoch) -> {
      ExtentInfo info = extents.get(pid);
      return info.getReplicasList().contains(restartedCid) && info.getEpoch() > recoveryEpoch;
    });
    MemberSync memberSync = new MemberSync(store, peers, metrics, cfg.replicateTimeout(), Deadlines.DATA,
        MemberSync.DEFAULT_PAGE_BYTES, pipes::call);
    // Built in dependency order, no setters: the session state first (the owner table checks its lease), the
    // components, and last the keepalive listener that drives the owner table and the recovery runner.
    SessionLease lease = new SessionLease(cfg.sessions(), local, clock);
    owners = new OwnerTable(store, extents, local, pipes, memberSync, lease, clock);
    // Stop the ordered threads first, then fail what owners still hold (no thread touches them any more).
    started.onStop("owner table", owners::closeAll);
    started.add("ordered executor", ordered); // started above; stopped before the owner table's closeAll
    started.add("peer rpc", peers); // started above; its connections close while their loops still run

    quarantine = new ReplicaQuarantine(store, new QuarantineEvidence(cfg.dir(), store),
        (pid, epoch, reason) -> {
          OwnerLease.Session s = lease.current();
          return extents.replicaQuarantined(ReplicaQuarantinedRequest.newBuilder().setPid(pid).setCid(local.cid())
              .setSessionUuid(s.uuid()).setSessionEpoch(s.epoch()).setEpoch(epoch).setReason(reason).build());
        }, local, metrics, System::currentTimeMillis);
    ScrubDigests scrubs = new ScrubDigests(store, local, io);
    store.failpoints(failpoints);
    // A failed store (sync or background error) is never retried: its leases go, its replicas are reported for
    // replacement, and nothing it holds is served or acknowledged again (DESIGN.md "Chunk storage").
    store.onFailure(reason -> {
      try {
        io.execute(() -> {
          owners.stepDownAll("replica store failed: " + reason);
          quarantine.storeFailed(reason);
        });
      } catch (RejectedExecutionException e) {
        log.warn("store failed while closing cid={} reason={}", local.cidOrZero(), reason);
      }
    });
    // A full disk (TESTPLAN F16): every replica that had a write refused leaves its extent (reported like a
    // quarantined one, but kept in service for reads, no evidence): as a member its owner may be gone before it could
    // report us, and a new owner's member sync could not bring us up to date.
    store.diskSpace().onRefused((pid, why) -> {
      if (pid == 0) return;
      try {
        io.execute(() -> quarantine.reportForReplacement(pid,
            store.replica(pid).map(ReplicaMeta::epoch).orElse(0L), "disk full on cid=" + local.cid() + ": " + why));
      } catch (RejectedExecutionException e) {
        log.warn("disk full while closing cid={} pid={}", local.cidOrZero(), pid);
      }
    });
    ExtentOwner owner = new ExtentOwner(owners, store, backlog, metrics, cfg.syncEveryWrite(), local, failpoints,
        io, clock, quarantine);
    FlushOp flush = new FlushOp(owners, ordered, extents, local, store, io, peers, Deadlines.DATA);
    ReplicaApplier applier = new ReplicaApplier(store, extents, owners::stepDownBelow, local, metrics, failpoints,
        recovering, ordered, quarantine, scrubs);
    ClientActivity activity = new ClientActivity(clock);
    recoveries = RecoveryRunner.create(extents, peers, ordered, recovering, store, failpoints,
        metrics, local, RECOVERY_THREADS, Deadlines.DATA, activity, cfg.recoveryBusyShare(), clock);
    // Closed before the ordered executor: its tasks wait on pid threads.
    started.add("recovery runner", recoveries);
    // Registered where it is built, before its keepalives start (after registration): its stop is a no-op until
    // then, and once started it stops after the keepalive connection below has closed.
    ChunkSession session = started.add("session", new ChunkSession(lease, local, store, owners, recoveries));
    RpcServer.Builder b = RpcServer.builder("chunk").bind(cfg.listen().host(), cfg.listen().port())
        .metrics(registry).workers(loops);
    new DataService(ordered, io, owner, new OwnerReads(owners, metrics), flush, store, metrics, activity,
        clock, new ReadRepair(owners, store, peers, metrics, Deadlines.DATA)).register(b);
    new ReplicaService(ordered, io, applier, store, activity, scrubs).register(b);
    new OwnerScrub(owners, scrubs, peers, Duration.ofSeconds(15)).register(b); // a member waits up to 10 s for the gen
    new IntegrityService(ordered, quarantine).register(b);
    new MemberSyncService(ordered, applier, store).register(b);
    new RecoveryService(ordered, io, new OwnerCopySource(owners), store, activity).register(b);
    new AdminService(io, store, local, quarantine.evidence()).register(b);
    new TestAdminService(cfg.testMode(), failpoints, store, ordered, io).register(b);
    rpcServer = started.add("rpc server", b.build().start());
    local.setAddress(cfg.advertise() != null ? cfg.advertise().toString() : rpcServer.address());

    metricsEndpoint = started.add("metrics endpoint", MetricsEndpoint.start(registry, cfg.listen().host(),
        cfg.metricsPort(), "basalt.chunk." + rpcServer.port()));
    String admin = cfg.listen().host() + ":" + metricsEndpoint.port();

    ChunkIdentity identity = ChunkRegistration.register(meta, store, cfg.zone(), cfg.cluster(), local.address(),
        admin, closing);
    local.setCid(identity.cid());
    // Keepalives get their own connection and retry budget: data traffic must never delay them.
    RpcClientFactory sessionRpc = started.add("session rpc", new RpcClientFactory("chunk-session", registry, 1,
        FrameLimits.DEFAULT, Duration.ofSeconds(3)));
    Duration attempt = cfg.sessions().keepaliveInterval();
    session.start(cfg.sessions(), new MetaClient(locator, sessionRpc, attempt, attempt), new SessionMetrics(registry));
    this.sessionLease = lease;
    started.add("heartbeat loop", new HeartbeatLoop(meta, store, identity.cid(), cfg.reportInterval(), ordered,
        owners, recoveries::running, metrics, quarantine, cfg.quarantineRetention()).start());
  }

  /** The registered cid (NOT_READY before registration). */
  public int cid() {
    return local.cid();
  }

  /** The RPC address {@code host:port} (valid once started). */
  public String address() {
    return local.address();
  }

  /** The quarantine of this chunk's replicas (tests, admin). */
  public ReplicaQuarantine quarantine() {
    return quarantine;
  }

  public ReplicaStore store() {
    return store;
  }

  public int metricsPort() {
    return metricsEndpoint.port();
  }

  public ChunkConfig config() {
    return cfg;
  }

  public Failpoints failpoints() {
    return failpoints;
  }

  public MetricRegistry registry() {
    return registry;
  }

  /** The session state (CONNECTING before the first keepalive answer). */
  public FollowerSession.State sessionState() {
    SessionLease s = sessionLease;
    return s == null ? FollowerSession.State.CONNECTING : s.state().state();
  }

  /** The recoveries this chunk is the target of (tests and status). */
  public RecoveryRunner recoveries() {
    return recoveries;
  }

  /** The RECOVERING replicas and their dirty bitmaps (tests). */
  public RecoveringReplicas recoveringReplicas() {
    return recovering;
  }

  /** Extents this chunk currently owns (for tests and status). */
  public int ownedExtents() {
    return owners == null ? 0 : owners.ownedCount();
  }

  /** The parts started and not stopped yet, the next to stop first (tests: empty after close or a failed start). */
  List<String> runningParts() {
    return started.running();
  }

  /** Idempotent: stops everything started, in reverse order (each failure logged, the rest still stopped). */
  @Override
  public void close() {
    closing.countDown();
    synchronized (this) {
      if (!started.running().isEmpty()) {
        log.info("stopping chunk server cid={} at {}", local.cidOrZero(), local.address());
        started.close();
        log.info("chunk server stopped cid={}", local.cidOrZero());
      }
    }
  }

  private static void shutdown(ExecutorService pool) throws InterruptedException {
    pool.shutdown();
    if (!pool.awaitTermination(5, TimeUnit.SECONDS)) pool.shutdownNow();
  }
}
