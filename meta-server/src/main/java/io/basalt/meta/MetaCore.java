package io.basalt.meta;

import com.codahale.metrics.MetricRegistry;
import io.basalt.failpoint.Failpoints;
import io.basalt.meta.placement.PlacementPolicy;
import io.basalt.meta.service.ChunkOps;
import io.basalt.meta.service.ExtentOps;
import io.basalt.meta.service.LeadershipState;
import io.basalt.meta.service.MetaMetrics;
import io.basalt.meta.service.MetaState;
import io.basalt.meta.service.PauseDetector;
import io.basalt.meta.service.RecoveryAdminOps;
import io.basalt.meta.service.RecoveryOps;
import io.basalt.meta.service.RecoveryScheduler;
import io.basalt.meta.recovery.RecoveryMetrics;
import io.basalt.meta.service.SessionOps;
import io.basalt.meta.service.SessionTicker;
import io.basalt.meta.service.VolumeOps;
import io.basalt.meta.store.ZkMetaStore;
import io.basalt.meta.store.ZkPaths;
import io.basalt.meta.table.MetaLoop;
import io.basalt.session.CuratorRetry;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.state.SessionConnectionStateErrorPolicy;

/**
 * The meta server without its transports: Curator client, store, MetaLoop, state, operations and elector,
 * started in that order and closed in reverse. {@link MetaServer} adds the RPC server and metrics endpoint; tests
 * drive a core directly. Wiring only.
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
  private final PauseDetector pauses;
  private boolean closed;

  private MetaCore(MetaConfig config, String id, MetricRegistry registry, Failpoints failpoints,
      LongSupplier clock) {
    this.id = id;
    this.client = CuratorFrameworkFactory.builder()
        .connectString(config.zkConnect())
        .sessionTimeoutMs((int) config.zkSessionTimeout().toMillis())
        .connectionTimeoutMs((int) config.zkConnectionTimeout().toMillis())
        .retryPolicy(CuratorRetry.zkClient())
        .connectionStateErrorPolicy(new SessionConnectionStateErrorPolicy())
        .build();
    ZkPaths paths = new ZkPaths(config.cluster());
    this.store = new ZkMetaStore(client, paths, failpoints);
    this.loop = new MetaLoop();
    Holder holder = new Holder();
    this.pauses = new PauseDetector(clock, PauseDetector.thresholdFor(config.zkSessionTimeout()));
    registry.gauge("basalt_meta_pauses_detected", () -> pauses::pauses);
    this.state = new MetaState(id, store, loop, clock, () -> holder.hint(), new MetaMetrics(registry),
        config.sessions(), pauses);
    this.elector = new LeaderElector(client, paths, id, store, state, config);
    holder.elector = elector;
    RecoveryMetrics recoveryMetrics = new RecoveryMetrics(registry);
    this.chunks = new ChunkOps(state);
    this.volumes = new VolumeOps(state);
    this.extents = new ExtentOps(state, new PlacementPolicy(config.chunkLiveness()), recoveryMetrics.dropped::inc);
    this.recovery = new RecoveryOps(state, recoveryMetrics);
    this.recoveryAdmin = new RecoveryAdminOps(state);
    this.sessions = new SessionOps(state, id, recovery);
    this.ticker = new SessionTicker(state, config.sessions(), registry, recovery);
    this.recoveryScheduler = new RecoveryScheduler(state, recoveryMetrics, config.recoveryInterval());
  }

  /** Breaks the state/elector construction cycle for the leader hint. */
  private static final class Holder {
    volatile LeaderElector elector;

    String hint() {
      LeaderElector e = elector;
      return e == null ? "" : e.leaderHint();
    }
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
    return start(config, advertisedAddress, registry, failpoints, System::nanoTime);
  }

  /** As above, on {@code clock} (tests make it jump to look like a pause of the whole process). */
  public static MetaCore start(MetaConfig config, String advertisedAddress, MetricRegistry registry,
      Failpoints failpoints, LongSupplier clock) {
    MetaCore core = new MetaCore(config, advertisedAddress, registry, failpoints, clock);
    try {
      core.client.start();
      core.pauses.start();
      core.ticker.start();
      core.recoveryScheduler.start();
      core.elector.start();
      return core;
    } catch (RuntimeException e) {
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

  /** Steps down, leaves the election, stops the loop and the ZooKeeper client. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      recoveryScheduler.close();
      ticker.close();
      elector.close();
      pauses.close();
    } finally {
      loop.close();
      store.close();
      client.close();
    }
  }
}
