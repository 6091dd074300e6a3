package io.basalt.meta;

import io.basalt.common.BufferPool;
import io.basalt.session.SessionConfig;
import io.basalt.common.HostPort;
import io.basalt.common.Units;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code basalt-meta}: parses options into a {@link MetaConfig}, starts a {@link MetaServer}, prints
 * {@code meta server ready at host:port} once listening, and runs until killed (the shutdown hook closes it).
 */
@Command(name = "basalt-meta", mixinStandardHelpOptions = true, description = "Runs a Basalt meta server.")
public final class MetaServerMain implements Callable<Integer> {
  @Option(names = "--zk", required = true, paramLabel = "HOST:PORT[,HOST:PORT...]",
      description = "ZooKeeper connection string")
  String zk;

  @Option(names = "--listen", defaultValue = "127.0.0.1:7000", paramLabel = "HOST:PORT",
      description = "RPC listen address; port 0 picks one (default ${DEFAULT-VALUE})")
  String listen;

  @Option(names = "--cluster", defaultValue = MetaConfig.DEFAULT_CLUSTER,
      description = "cluster name: ZooKeeper root /basalt/<cluster> (default ${DEFAULT-VALUE})")
  String cluster;

  @Option(names = "--metrics-port", defaultValue = "-1",
      description = "Prometheus HTTP port on the listen host; -1 = off, 0 = pick (default ${DEFAULT-VALUE})")
  int metricsPort;

  @Option(names = "--chunk-liveness", defaultValue = "10s",
      description = "a chunk heard from within this window may receive new replicas (default ${DEFAULT-VALUE})")
  String chunkLiveness;

  @Option(names = "--zk-session-timeout", defaultValue = "10s",
      description = "ZooKeeper session timeout (default ${DEFAULT-VALUE})")
  String zkSessionTimeout;

  @Option(names = "--keepalive-interval", defaultValue = "1s",
      description = "how often chunks and clients send KeepAlive (default ${DEFAULT-VALUE})")
  String keepaliveInterval;

  @Option(names = "--session-timeout", defaultValue = "10s",
      description = "a session (and its leases) lives this long after its last keepalive (default ${DEFAULT-VALUE})")
  String sessionTimeout;

  @Option(names = "--mass-expiry-share", defaultValue = "0.5",
      description = "more than this share of chunk sessions expiring within one session timeout is cluster jeopardy:"
          + " no replica is removed until they return or `basalt cluster confirm-expiry` (default ${DEFAULT-VALUE})")
  double massExpiryShare;

  @Option(names = "--test-mode", description = "serve test-only admin calls (failpoints); never in production")
  boolean testMode;

  /** Builds the config from the parsed options; invalid values throw IllegalArgumentException. */
  MetaConfig config() {
    HostPort hp = HostPort.parse(listen);
    Duration liveness = Units.parseDuration(chunkLiveness);
    Duration session = Units.parseDuration(zkSessionTimeout);
    SessionConfig sessions = SessionConfig.of(Units.parseDuration(keepaliveInterval),
        Units.parseDuration(sessionTimeout)).withMassExpiryShare(massExpiryShare);
    return new MetaConfig(zk, hp.host(), hp.port(), cluster, metricsPort, liveness, session,
        MetaConfig.DEFAULT_ZK_CONNECTION_TIMEOUT, sessions);
  }

  @Override
  public Integer call() throws InterruptedException {
    MetaConfig config;
    try {
      config = config();
    } catch (IllegalArgumentException e) {
      System.err.println("basalt-meta: " + e.getMessage());
      return 2;
    }
    MetaServer server = MetaServer.start(config, testMode);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "basalt-meta-shutdown"));
    System.out.println("meta server ready at " + server.address());
    System.out.flush();
    stopped.await();
    return 0;
  }

  public static void main(String[] args) {
    BufferPool.configure();  // before anything allocates
    int rc = new CommandLine(new MetaServerMain()).execute(args);
    if (rc != 0) {
      System.exit(rc);
    }
  }
}
