package io.basalt.meta;

import com.codahale.metrics.MetricRegistry;
import io.basalt.common.MetricsEndpoint;
import io.basalt.common.ServiceStack;
import io.basalt.failpoint.Failpoints;
import io.basalt.meta.election.MetaServerRegistry;
import io.basalt.meta.rpc.MetaInfoService;
import io.basalt.meta.rpc.MetaRpcService;
import io.basalt.meta.state.LeadershipState;
import io.basalt.meta.store.ZkPaths;
import io.basalt.proto.Envelope;
import io.basalt.proto.MetaInfoResponse;
import io.basalt.rpc.RpcServer;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One meta server process: metrics registry (and Prometheus endpoint when configured), the RPC server, then the
 * {@link MetaCore} (ZooKeeper client, store, loop, state, election) whose election id is the RPC address, then the
 * meta server registry entry. Started in that order and registered on a {@link ServiceStack} as each starts, so
 * {@link #close} (and a start failing half-way) stops exactly what started, in reverse. Wiring only.
 *
 * <pre>
 *   MetaServer server = MetaServer.start(MetaConfig.defaults("127.0.0.1:2181").withListen("127.0.0.1", 0));
 *   server.address();   // "127.0.0.1:41234": what clients dial and what followers redirect to
 *   server.close();
 * </pre>
 */
public final class MetaServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MetaServer.class);

  private final MetaConfig config;
  private final MetricRegistry registry = new MetricRegistry();
  private MetricsEndpoint metricsEndpoint;
  private MetaCore core;
  private final MetaInfoService info = new MetaInfoService();
  private volatile String address;
  private volatile int port = -1;
  private final ServiceStack stack = new ServiceStack("meta");

  private final boolean testMode;
  private final Failpoints failpoints = Failpoints.fromSystemProperty();

  private MetaServer(MetaConfig config, boolean testMode) {
    this.config = config;
    this.testMode = testMode;
  }

  /** Starts listening and joins the election; leadership arrives asynchronously. */
  public static MetaServer start(MetaConfig config) {
    return start(config, false);
  }

  /** With {@code testMode} the test-only admin calls (failpoints) are served; otherwise they are refused. */
  public static MetaServer start(MetaConfig config, boolean testMode) {
    MetaServer server = new MetaServer(config, testMode);
    try {
      server.startAll();
      return server;
    } catch (Throwable e) { // also what Netty throws undeclared (a bind error is an IOException)
      server.close();
      throw e;
    }
  }

  private void startAll() {
    log.info("starting meta server config={} recoveryReturnWaitMs={}", config, config.returnWait().toMillis());
    if (config.metricsPort() >= 0) {
      metricsEndpoint = stack.add("metrics endpoint",
          MetricsEndpoint.start(registry, config.listenHost(), config.metricsPort(), "basalt.meta"));
      log.info("meta metrics at http://{}:{}/metrics", config.listenHost(), metricsEndpoint.port());
    }
    MetaRpcService service = new MetaRpcService(testMode, failpoints);
    // every reply carries the epoch this server leads under (0 until the core runs and while not leading)
    AtomicReference<MetaCore> leading = new AtomicReference<>();
    RpcServer rpc = stack.add("rpc server", service.register(RpcServer.builder("meta").bind(config.listenHost(), config.listenPort())
        .metrics(registry).replyStamp(MetaRpcService.epochStamp(() -> {
          MetaCore c = leading.get();
          return c == null ? 0 : c.metaState().epoch();
        }))).handle(Envelope.BodyCase.META_INFO, info).build().start());
    address = rpc.address();
    port = rpc.port();
    info.listening(address);
    core = stack.add("core", MetaCore.start(config, address, registry, failpoints));
    leading.set(core);
    // MetaInfo answers in every state, so it is not behind the service's leader gate
    info.attach(core.metaState(), core.elector());
    MetaServerRegistry serverRegistry = new MetaServerRegistry(core.curator(), new ZkPaths(config.cluster()), address);
    serverRegistry.start();
    stack.add("server registry", serverRegistry);
    service.attach(new MetaRpcService.Ops(core.chunks(), core.volumes(), core.extents(), core.sessions(),
        core.recovery(), core.recoveryAdmin(), core.scrubAdmin()));
    log.info("meta server ready at {} cluster={}", address, config.cluster());
  }

  /** host:port of the RPC server (the election id). */
  public String address() {
    return address;
  }

  public int port() {
    return port;
  }

  /** Port of the Prometheus endpoint, or -1 when off. */
  public int metricsPort() {
    return metricsEndpoint == null ? -1 : metricsEndpoint.port();
  }

  public LeadershipState state() {
    return core.state();
  }

  public boolean isActiveLeader() {
    return core != null && core.isActiveLeader();
  }

  /** What this server answers to MetaInfo now. */
  public MetaInfoResponse info() {
    return info.info();
  }

  public MetaCore core() {
    return core;
  }

  public MetricRegistry metrics() {
    return registry;
  }

  public MetaConfig config() {
    return config;
  }

  /** Leaves the election (a follower takes over at once), stops serving. Idempotent. */
  @Override
  public void close() {
    stack.close();
    log.info("meta server stopped address={}", address);
  }

  /** The parts still running, the next to stop first (tests). */
  ServiceStack stack() {
    return stack;
  }
}
