package io.basalt.meta;

import io.basalt.common.BufferPool;
import io.basalt.meta.election.ZkTimeoutRule;
import io.basalt.meta.scrub.ScrubConfig;
import io.basalt.session.SessionConfig;
import io.basalt.common.HostPort;
import io.basalt.common.Units;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code basalt-meta}: parses options into a {@link MetaConfig}, starts a {@link MetaServer}, prints
 * {@code meta server ready at host:port} once listening, and runs until killed (the shutdown hook closes it).
 * When the ZooKeeper session timeout the servers negotiated would let a meta failover outlast the chunk leases
 * ({@link ZkTimeoutRule}) it prints why on stderr and exits with status 3, before printing ready when ZooKeeper
 * answers within the connection timeout, else as soon as it does.
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

  @Option(names = "--zk-session-timeout", paramLabel = "DURATION",
      description = "ZooKeeper session timeout: a silent leader is replaced after it (default: two fifths of"
          + " --session-timeout, 4s with the default; negotiated + max(500ms, session timeout / 10) must not exceed"
          + " --session-timeout minus a tenth of it minus --keepalive-interval, or the server refuses to start)")
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

  @Option(names = "--recovery-return-wait", paramLabel = "DURATION",
      description = "after an owner reports a member failed, recovery waits this long for that chunk to return (a"
          + " restarted chunk catches its own copy up instead of another chunk copying the whole extent); never with"
          + " a single live replica left; 0 = never wait (default: --session-timeout)")
  String recoveryReturnWait;

  @Option(names = "--scrub-light-period", defaultValue = "24h", paramLabel = "DURATION",
      description = "every extent's replicas are compared (digests only) this long after its last scrub"
          + " (default ${DEFAULT-VALUE})")
  String scrubLightPeriod;

  @Option(names = "--scrub-deep-period", defaultValue = "168h", paramLabel = "DURATION",
      description = "every extent's blocks are all read and CRC-checked this long after its last deep scrub"
          + " (default ${DEFAULT-VALUE}, 7 days)")
  String scrubDeepPeriod;

  @Option(names = "--test-mode", description = "serve test-only admin calls (failpoints); never in production")
  boolean testMode;

  /** Builds the config from the parsed options; invalid values throw IllegalArgumentException. */
  MetaConfig config() {
    HostPort hp = HostPort.parse(listen);
    Duration liveness = Units.parseDuration(chunkLiveness);
    SessionConfig sessions = SessionConfig.of(Units.parseDuration(keepaliveInterval),
        Units.parseDuration(sessionTimeout)).withMassExpiryShare(massExpiryShare);
    Duration zkSession = zkSessionTimeout == null || zkSessionTimeout.isBlank()
        ? ZkTimeoutRule.defaultZkTimeout(sessions) : Units.parseDuration(zkSessionTimeout);
    return new MetaConfig(zk, hp.host(), hp.port(), cluster, metricsPort, liveness, zkSession,
        MetaConfig.DEFAULT_ZK_CONNECTION_TIMEOUT, sessions).withStrictZkTimeout(true)
        .withScrub(ScrubConfig.defaults().withPeriods(Units.parseDuration(scrubLightPeriod),
            Units.parseDuration(scrubDeepPeriod)))
        .withRecoveryReturnWait(recoveryReturnWait == null || recoveryReturnWait.isBlank() ? null
            : Units.parseDuration(recoveryReturnWait));
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
    CompletableFuture<ZkTimeoutRule.Verdict> zkChecked = server.core().zkTimeoutChecked();
    try {
      zkChecked.get(config.zkConnectionTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      System.err.println("basalt-meta: " + e.getCause().getMessage());
      server.close();
      return 3;
    } catch (TimeoutException e) {
      // ZooKeeper is not reachable yet: serve (NOT_LEADER/NOT_READY) and judge the timeout once it is
      zkChecked.whenComplete((v, err) -> {
        if (err != null) {
          System.err.println("basalt-meta: " + err.getMessage());
          System.err.flush();
          new Thread(() -> System.exit(3), "basalt-meta-refuse").start();
        }
      });
    }
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
