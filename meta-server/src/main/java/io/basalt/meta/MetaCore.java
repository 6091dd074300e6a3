package io.basalt.meta;

import com.codahale.metrics.MetricRegistry;
import io.basalt.common.MonotonicClock;
import io.basalt.common.ServiceStack;
import io.basalt.failpoint.Failpoints;
import io.basalt.meta.election.LeaderElector;
import io.basalt.meta.election.ZkTimeoutRule;
import io.basalt.meta.placement.ChunkOps;
import io.basalt.meta.placement.PlacementPolicy;
import io.basalt.meta.recovery.RecoveryAdminOps;
import io.basalt.meta.recovery.RecoveryMetrics;
import io.basalt.meta.recovery.RecoveryOps;
import io.basalt.meta.recovery.RecoveryScheduler;
import io.basalt.meta.recovery.RecoveryTable;
import io.basalt.meta.scrub.ScrubAdminOps;
import io.basalt.meta.scrub.ScrubMetrics;
import io.basalt.meta.scrub.ScrubRpc;
import io.basalt.meta.scrub.ScrubScheduler;
import io.basalt.meta.scrub.ScrubTable;
import io.basalt.meta.session.ChunkSessions;
import io.basalt.meta.session.MassExpiryGuard;
import io.basalt.meta.session.SessionOps;
import io.basalt.meta.session.SessionTicker;
import io.basalt.meta.state.LeadershipState;
import io.basalt.meta.state.MetaLoop;
import io.basalt.meta.state.MetaMetrics;
import io.basalt.meta.state.MetaState;
import io.basalt.meta.state.PauseDetector;
import io.basalt.meta.state.TermLocal;
import io.basalt.meta.store.ZkMetaStore;
import io.basalt.meta.store.ZkPaths;
import io.basalt.meta.volume.ExtentOps;
import io.basalt.meta.volume.VolumeOps;
import io.basalt.session.CuratorRetry;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.state.SessionConnectionStateErrorPolicy;

/**
 * The meta server without its transports: Curator client, store, MetaLoop, elector, the components' per-term state,
 * the core {@link MetaState}, then the components' operations and threads, built in that (dependency) order; each
 * part is put on a {@link ServiceStack} as it is built or started and closed in reverse (the elector is the one
 * exception, see {@link #start}); nothing is wired afterwards by a setter. {@link MetaServer} adds the RPC server
 * and metrics endpoint; tests drive a core directly. Wiring only.
 *
 * <p>Per-term state: the session component's {@link ChunkSessions} and the recovery component's
 * {@link RecoveryTable} are handed to the state as {@link io.basalt.meta.state.TermState}s, and so is the scrub
 * component's {@link ScrubTable}; a new component with state of its own per term (snapshot) is added to that list
 * the same way.
 */
public final class MetaCore implements AutoCloseable {
  private final String id;
  private final CuratorFramework client;
  private final ZkMetaStore store;
  private final MetaLoop loop;
  private final MetaState state;
  private final LeaderElector elector;
  private final ChunkOps chunks;
  private final VolumeOps volumes;
  private final ExtentOps extents;
  private final SessionOps sessions;
  private final SessionTicker ticker;
  private final RecoveryOps recovery;
  private final RecoveryAdminOps recoveryAdmin;
  private final RecoveryScheduler recoveryScheduler;
  private final ScrubRpc scrubRpc;
  private final ScrubAdminOps scrubAdmin;
  private final ScrubScheduler scrubScheduler;
  private final PauseDetector pauses;
  private final ChunkSessions chunkSessions;
  private final ServiceStack stack;

  private MetaCore(MetaConfig config, String id, MetricRegistry registry, Failpoints failpoints,
      MonotonicClock clock) {
    this.id = id;
    this.stack = new ServiceStack("meta core " + id);
    this.client = CuratorFrameworkFactory.builder()
        .connectString(config.zkConnect())
        .sessionTimeoutMs((int) config.zkSessionTimeout().toMillis())
        .connectionTimeoutMs((int) config.zkConnectionTimeout().toMillis())
        .retryPolicy(CuratorRetry.zkClient())
        .connectionStateErrorPolicy(new SessionConnectionStateErrorPolicy())
        .build();
    stack.add("zookeeper client", client); // closed even when start() failed, as a Curator client allows
    ZkPaths paths = new ZkPaths(config.cluster());
    this.store = stack.add("store", new ZkMetaStore(client, paths, failpoints));
    this.loop = stack.add("meta loop", new MetaLoop()); // its thread starts with the first task
    this.pauses = new PauseDetector(clock, PauseDetector.thresholdFor(config.zkSessionTimeout()));
    registry.gauge("basalt_meta_pauses_detected", () -> pauses::pauses);
    this.elector = new LeaderElector(client, paths, id, store, config.zkSessionTimeout(), config.sessions(),
        config.strictZkTimeout(), clock);
    // each component's state of one leadership term, created and dropped by the core with the term's tables
    this.chunkSessions = new ChunkSessions(config.sessions());
    TermLocal<RecoveryTable> recoveryTables = RecoveryTable.perTerm();
    TermLocal<ScrubTable> scrubTables = ScrubTable.perTerm(System::currentTimeMillis);
    this.state = new MetaState(id, store, loop, clock, elector, new MetaMetrics(registry),
        List.of(chunkSessions, recoveryTables, scrubTables), pauses);
    MassExpiryGuard guard = new MassExpiryGuard(chunkSessions);
    RecoveryMetrics recoveryMetrics = new RecoveryMetrics(registry);
    this.recovery = new RecoveryOps(state, chunkSessions, guard, recoveryTables, recoveryMetrics);
    this.recoveryAdmin = new RecoveryAdminOps(state, chunkSessions, recoveryTables);
    this.recoveryScheduler = new RecoveryScheduler(state, chunkSessions, guard, recoveryTables, recoveryMetrics,
        config.recoveryInterval(), config.returnWait());
    this.scrubRpc = stack.add("scrub rpc client", new ScrubRpc(registry));
    this.scrubAdmin = new ScrubAdminOps(state, scrubTables, config.scrub(), System::currentTimeMillis);
    this.scrubScheduler = new ScrubScheduler(state, chunkSessions, scrubTables, new ScrubMetrics(registry), scrubRpc,
        config.scrub(), System::currentTimeMillis);
    this.chunks = new ChunkOps(state, chunkSessions, recovery::catchUpCopiesReported);
    this.volumes = new VolumeOps(state, chunkSessions);
    this.extents = new ExtentOps(state, chunkSessions, new PlacementPolicy(config.chunkLiveness()),
        recovery::droppedByNewOwner);
    this.sessions = new SessionOps(state, chunkSessions, id, recovery);
    this.ticker = new SessionTicker(state, chunkSessions, config.sessions(), registry, recovery);
  }

  /**
   * Connects to ZooKeeper and joins the election under participant id {@code advertisedAddress} (the RPC address
   * clients are redirected to).
   */
  public static MetaCore start(MetaConfig config, String advertisedAddress, MetricRegistry registry) {
    return start(config, advertisedAddress, registry, new Failpoints());
  }

  /** As above, with the process's fault-injection points (tests). */
  public static MetaCore start(MetaConfig config, String advertisedAddress, MetricRegistry registry,
      Failpoints failpoints) {
    return start(config, advertisedAddress, registry, failpoints, MonotonicClock.SYSTEM);
  }

  /**
   * As above, on {@code clock}: every time-based decision of the core (sessions, leases, grace, pauses, recovery
   * pacing, the leader hint) reads it (tests make it jump to look like a pause of the whole process).
   */
  public static MetaCore start(MetaConfig config, String advertisedAddress, MetricRegistry registry,
      Failpoints failpoints, MonotonicClock clock) {
    MetaCore core = new MetaCore(config, advertisedAddress, registry, failpoints, clock);
    try {
      core.client.start();
      core.stack.add("pause detector", core.pauses.start());
      // Not the reverse of the start order: the elector joins last (nothing leads before every thread runs) but
      // steps down after the recovery scheduler and session ticker stopped, so no pass or expiry runs while it
      // steps down, and before the pause detector, loop, store and client it steps down with.
      core.stack.add("elector", core.elector);
      core.stack.add("session ticker", core.ticker.start());
      core.stack.add("recovery scheduler", core.recoveryScheduler.start());
      core.stack.add("scrub scheduler", core.scrubScheduler.start());
      core.elector.start(core.state);
      return core;
    } catch (Throwable e) {
      core.close();
      throw e;
    }
  }

  public String id() {
    return id;
  }

  /**
   * Completes once the negotiated ZooKeeper session timeout was checked against the session timings (after the
   * first connection); fails when it is unsafe and the config is strict (this server then never leads).
   */
  public CompletableFuture<ZkTimeoutRule.Verdict> zkTimeoutChecked() {
    return elector.zkTimeoutChecked();
  }

  public LeadershipState state() {
    return state.state();
  }

  public boolean isActiveLeader() {
    return state.state() == LeadershipState.ACTIVE;
  }

  public MetaState metaState() {
    return state;
  }

  public LeaderElector elector() {
    return elector;
  }

  public ZkMetaStore store() {
    return store;
  }

  public CuratorFramework curator() {
    return client;
  }

  public ChunkOps chunks() {
    return chunks;
  }

  public VolumeOps volumes() {
    return volumes;
  }

  public ExtentOps extents() {
    return extents;
  }

  public SessionOps sessions() {
    return sessions;
  }

  public RecoveryOps recovery() {
    return recovery;
  }

  public RecoveryAdminOps recoveryAdmin() {
    return recoveryAdmin;
  }

  /** The recovery pass (tests run one with {@code passNow()}). */
  public RecoveryScheduler recoveryScheduler() {
    return recoveryScheduler;
  }

  public ScrubAdminOps scrubAdmin() {
    return scrubAdmin;
  }

  /** The scrub pass (tests run one with {@code passNow()}). */
  public ScrubScheduler scrubScheduler() {
    return scrubScheduler;
  }

  /** Steps down, leaves the election, stops the loop and the ZooKeeper client. Idempotent. */
  @Override
  public void close() {
    stack.close();
  }

  /** The parts still running, the next to stop first (tests). */
  public ServiceStack stack() {
    return stack;
  }
}
