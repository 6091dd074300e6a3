package io.basalt.client;

import com.codahale.metrics.MetricRegistry;
import io.basalt.client.io.ClientConfig;
import io.basalt.client.nbd.NbdServer;
import io.basalt.client.nbd.NbdServerConfig;
import io.basalt.common.BufferPool;
import io.basalt.common.HostPort;
import io.basalt.common.MetricsEndpoint;
import io.basalt.common.ServiceStack;
import io.basalt.common.Units;
import io.basalt.rpc.NettyTransport;
import io.basalt.rpc.RpcClientFactory;
import io.basalt.session.MetaClient;
import io.basalt.session.MetaLocator;
import io.basalt.session.ZkMetaLocator;
import io.netty.channel.EventLoopGroup;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code basalt-nbd}: the block client process. Finds meta (through ZooKeeper or at a fixed address), serves every
 * volume as an NBD export, prints {@code nbd server ready at host:port} on stdout once it accepts connections
 * (launch scripts wait for it) and runs until a shutdown hook stops it. Components start in dependency order, each
 * put on a {@link ServiceStack} as it starts, and stop in reverse (also when the start fails half-way); volumes are opened lazily, at each client's handshake, so meta need not be up at start.
 */
@Command(name = "basalt-nbd", mixinStandardHelpOptions = true, description = "Basalt block client / NBD server")
public final class NbdServerMain implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(NbdServerMain.class);

  @Option(names = "--zk", paramLabel = "HOST:PORT", description = "ZooKeeper connect string to find meta")
  String zk;

  @Option(names = "--cluster", defaultValue = "local", description = "cluster name (${DEFAULT-VALUE})")
  String cluster;

  @Option(names = "--meta", paramLabel = "HOST:PORT", description = "fixed meta server address (instead of --zk)")
  String meta;

  @Option(names = "--listen", defaultValue = "127.0.0.1:10809", description = "NBD listen address (${DEFAULT-VALUE})")
  String listen;

  @Option(names = "--metrics-port", defaultValue = "0", description = "metrics HTTP port on the listen host, 0 = any")
  int metricsPort;

  @Option(names = "--default-export", paramLabel = "VOLUME", description = "volume served for an empty export name")
  String defaultExport;

  @Option(names = "--io-deadline", defaultValue = "60s", description = "retry budget of one I/O (${DEFAULT-VALUE})")
  String ioDeadline;

  @Option(names = "--call-deadline", defaultValue = "10s", description = "deadline of one chunk RPC (${DEFAULT-VALUE})")
  String callDeadline;

  @Option(names = "--hedge-after", defaultValue = "200ms",
      description = "ask meta where the lease is after an attempt went unanswered this long, and move on if it moved"
          + " (${DEFAULT-VALUE})")
  String hedgeAfter;

  @Option(names = "--max-backoff", defaultValue = "100ms",
      description = "cap of the pause between retries, each of which re-reads the extent from meta (${DEFAULT-VALUE})")
  String maxBackoff;

  @Option(names = "--preferred-cid", defaultValue = "0", description = "local chunk to prefer for new extents, 0 = none")
  int preferredCid;

  @Option(names = "--io-threads", defaultValue = "1",
      description = "event-loop threads shared by NBD connections and chunk RPCs (${DEFAULT-VALUE})")
  int ioThreads;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  private final ServiceStack stack = new ServiceStack("nbd");

  public static void main(String[] args) {
    BufferPool.configure();  // before anything allocates
    System.exit(new CommandLine(new NbdServerMain()).execute(args));
  }

  @Override
  public Integer call() throws InterruptedException {
    if ((zk == null) == (meta == null)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "give exactly one of --zk or --meta");
    }
    HostPort bind;
    ClientConfig config;
    try {
      bind = HostPort.parse(listen);
      config = ClientConfig.defaults().withIoDeadline(Units.parseDuration(ioDeadline))
          .withCallDeadline(Units.parseDuration(callDeadline)).withPreferredCid(preferredCid)
          .withHedgeAfter(Units.parseDuration(hedgeAfter)).withMaxBackoff(Units.parseDuration(maxBackoff));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stop();
      stopped.countDown();
    }, "basalt-nbd-shutdown"));
    try {
      HostPort ready = start(bind, config);
      log.info("nbd server ready at {} (meta via {})", ready, zk != null ? "zk " + zk + " cluster=" + cluster
          : meta);
      System.out.println("nbd server ready at " + ready);
      System.out.flush();
    } catch (RuntimeException e) {
      log.error("nbd server failed to start", e);
      stop();
      return 1;
    }
    stopped.await();
    return 0;
  }

  /** Starts every part; when one fails, stops those that started and rethrows. */
  HostPort start(HostPort bind, ClientConfig config) {
    try {
      return startParts(bind, config);
    } catch (Throwable e) {
      stop();
      throw e;
    }
  }

  private HostPort startParts(HostPort bind, ClientConfig config) {
    MetricRegistry registry = new MetricRegistry();
    MetricsEndpoint metrics = stack.add("metrics endpoint",
        MetricsEndpoint.start(registry, bind.host(), metricsPort, "basalt.nbd"));
    log.info("metrics at http://{}:{}/metrics", bind.host(), metrics.port());
    // One set of event loops for NBD connections and the RPCs they make: a request, its RPC to the lease owner and
    // the reply then mostly run on one thread, without cross-thread wake-ups.
    EventLoopGroup loops = NettyTransport.group("nbd-io", ioThreads);
    stack.onStop("event loops", () -> loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly());
    RpcClientFactory rpc = stack.add("chunk rpc clients", new RpcClientFactory("nbd", registry, loops));
    MetaLocator locator = stack.add("meta locator",
        zk != null ? ZkMetaLocator.connect(zk, cluster) : MetaLocator.fixed(meta));
    locator.epochs().register(registry);
    MetaClient metaClient = stack.add("meta client", new MetaClient(locator, rpc));
    ClusterVolumeProvider volumes = stack.add("volumes", new ClusterVolumeProvider(metaClient, rpc, config, registry));
    NbdServerConfig nbdConfig = NbdServerConfig.defaults().withMetrics(registry).withDefaultExport(defaultExport);
    NbdServer server = stack.add("nbd server", new NbdServer(volumes, nbdConfig, loops));
    int port = server.start(bind.host(), bind.port());
    return new HostPort(bind.host(), port);
  }

  /** Closes what was started, newest first. Idempotent. */
  void stop() {
    stack.close();
  }

  /** The parts still running, the next to stop first (tests). */
  ServiceStack stack() {
    return stack;
  }
}
