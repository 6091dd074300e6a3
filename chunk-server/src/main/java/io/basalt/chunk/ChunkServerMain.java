package io.basalt.chunk;

import io.basalt.common.BufferPool;
import io.basalt.common.HostPort;
import io.basalt.common.Units;
import io.basalt.session.SessionConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code basalt-chunk}: parses the command line into a {@link ChunkConfig}, starts a {@link ChunkServer}, prints
 * the ready line on stdout (launch scripts wait for it) and runs until a shutdown hook closes the server.
 */
@Command(name = "basalt-chunk", mixinStandardHelpOptions = true, description = "Basalt chunk server")
public final class ChunkServerMain implements Callable<Integer> {
  @Option(names = "--zk", paramLabel = "HOST:PORT", description = "ZooKeeper connect string to find meta")
  String zk;

  @Option(names = "--cluster", defaultValue = ChunkConfig.DEFAULT_CLUSTER, description = "cluster name (${DEFAULT-VALUE})")
  String cluster;

  @Option(names = "--meta", paramLabel = "HOST:PORT", description = "fixed meta server address (instead of --zk)")
  String meta;

  @Option(names = "--dir", required = true, description = "data directory")
  Path dir;

  @Option(names = "--listen", defaultValue = "127.0.0.1:0", description = "RPC listen address (${DEFAULT-VALUE})")
  String listen;

  @Option(names = "--advertise", description = "address registered with meta for clients and peers (default: the"
      + " listen address), e.g. a proxy in front of this chunk")
  String advertise;

  @Option(names = "--zone", defaultValue = "default", description = "failure domain (${DEFAULT-VALUE})")
  String zone;

  @Option(names = "--metrics-port", defaultValue = "0", description = "metrics HTTP port on the listen host, 0 = any")
  int metricsPort;

  @Option(names = "--sync-every-write", description = "sync the WAL on every write, not only FUA/FLUSH")
  boolean syncEveryWrite;

  @Option(names = "--keepalive-interval", defaultValue = "1s", description = "KeepAlive period (${DEFAULT-VALUE})")
  String keepaliveInterval;

  @Option(names = "--session-timeout", defaultValue = "10s",
      description = "session timeout; the meta leader's value wins when they differ (${DEFAULT-VALUE})")
  String sessionTimeout;

  @Option(names = "--replica-write-timeout", defaultValue = "3s",
      description = "deadline of one replicate to a peer; a peer failing rounds is reported to meta at most once per"
          + " this (${DEFAULT-VALUE})")
  String replicaWriteTimeout;

  @Option(names = "--report-interval", defaultValue = "30s",
      description = "ReportReplicas period: how soon stale copies are marked and, once their extents are fully"
          + " redundant again, deleted (${DEFAULT-VALUE}; one report is sent at start-up)")
  String reportInterval;

  @Option(names = "--recovery-busy-share", defaultValue = "0.1",
      description = "share (0, 1] of the recovery throttle that copies into this chunk use while it serves client"
          + " I/O; recovery yields to clients (${DEFAULT-VALUE})")
  double recoveryBusyShare;

  @Option(names = "--disk-reserve", defaultValue = "64MiB",
      description = "usable space of the data directory's file system below which the chunk is full: it takes no new"
          + " data and meta places nothing on it until twice this much is free again (${DEFAULT-VALUE})")
  String diskReserve;

  @Option(names = "--quarantine-retention", defaultValue = "168h",
      description = "how long a quarantined replica's copy and evidence stay on disk before they are deleted; sooner"
          + " only by 'basalt quarantine rm' (${DEFAULT-VALUE})")
  String quarantineRetention;

  @Option(names = "--test-mode", description = "enable test-only admin calls")
  boolean testMode;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    BufferPool.configure();  // before anything allocates
    System.exit(new CommandLine(new ChunkServerMain()).execute(args));
  }

  /** The configuration the parsed options describe. */
  ChunkConfig config() {
    if ((zk == null) == (meta == null)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "give exactly one of --zk or --meta");
    }
    try {
      return ChunkConfig.of(dir, zk, cluster, meta)
          .withListen(HostPort.parse(listen))
          .withAdvertise(advertise == null ? null : HostPort.parse(advertise)).withZone(zone).withMetricsPort(metricsPort)
          .withSyncEveryWrite(syncEveryWrite).withTestMode(testMode)
          .withReplicateTimeout(Units.parseDuration(replicaWriteTimeout))
          .withReportInterval(Units.parseDuration(reportInterval))
          .withRecoveryBusyShare(recoveryBusyShare)
          .withDiskReserveBytes(Units.parseSize(diskReserve))
          .withQuarantineRetention(Units.parseDuration(quarantineRetention))
          .withSessions(SessionConfig.of(Units.parseDuration(keepaliveInterval), Units.parseDuration(sessionTimeout)));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  @Override
  public Integer call() throws InterruptedException {
    ChunkServer server = new ChunkServer(config());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "basalt-chunk-shutdown"));
    server.start();
    System.out.println("chunk server ready cid=" + server.cid() + " at " + server.address());
    System.out.flush();
    stopped.await();
    return 0;
  }
}
