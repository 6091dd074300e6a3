package io.basalt.meta.zk;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.zookeeper.server.embedded.ExitHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code basalt-zookeeper}: runs one {@link EmbeddedZooKeeper} until the process is killed (the shutdown hook
 * closes it), standalone or, with {@code --id} and {@code --ensemble}, as one member of a real quorum. Prints
 * {@code zookeeper ready at host:port} on stdout once it serves, for launch scripts: a member serves once a quorum
 * formed, so a launcher starts every member before it waits for any.
 */
@Command(name = "basalt-zookeeper", mixinStandardHelpOptions = true,
    description = "Runs an embedded ZooKeeper server (local mode): standalone, or one member of an ensemble.")
public final class EmbeddedZooKeeperMain implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedZooKeeperMain.class);
  static final String DEFAULT_HOST = "127.0.0.1";
  static final int DEFAULT_PORT = 2181;
  /** How often a member still waiting for a quorum says so in its log. */
  private static final Duration WAITING_LOG = Duration.ofSeconds(10);

  @Option(names = "--dir", required = true, description = "data directory (created if missing)")
  Path dir;

  @Option(names = "--host", description = "listen address of a standalone server (default " + DEFAULT_HOST
      + "; a member's comes from --ensemble)")
  String host;

  @Option(names = "--port", description = "client port of a standalone server, 0 = pick (default " + DEFAULT_PORT
      + "; a member's comes from --ensemble)")
  Integer port;

  @Option(names = "--id", paramLabel = "N", description = "this member's server id, 1..n: its entry in --ensemble")
  Integer id;

  @Option(names = "--ensemble", paramLabel = "HOST:CLIENT:QUORUM:ELECTION,...",
      description = "every member of the ensemble, in server id order, the same list for each member")
  String ensemble;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    EmbeddedZooKeeper zk = ensemble == null ? standalone() : member();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      zk.close();
      stopped.countDown();
    }, "basalt-zookeeper-shutdown"));
    String mode = awaitServing(zk);
    String ready = "zookeeper ready at " + zk.getConnectionString();
    log.info("{} mode={} ensemble={}", ready, mode, zk.ensembleConnectString());
    System.out.println(ready);
    System.out.flush();
    stopped.await();
    return 0;
  }

  private EmbeddedZooKeeper standalone() {
    if (id != null) {
      throw new ParameterException(spec.commandLine(), "--id needs --ensemble");
    }
    return EmbeddedZooKeeper.start(dir, host == null ? DEFAULT_HOST : host, port == null ? DEFAULT_PORT : port);
  }

  private EmbeddedZooKeeper member() {
    List<ZkPeer> peers;
    try {
      peers = ZkPeer.parseEnsemble(ensemble);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--ensemble: " + e.getMessage());
    }
    if (id == null || id < 1 || id > peers.size()) {
      throw new ParameterException(spec.commandLine(), "--ensemble needs --id between 1 and " + peers.size());
    }
    ZkPeer self = peers.get(id - 1);
    if ((host != null && !host.equals(self.host())) || (port != null && port != self.clientPort())) {
      throw new ParameterException(spec.commandLine(), "--host/--port disagree with member " + id
          + " of --ensemble (" + self.clientAddress() + "); leave them out");
    }
    try {
      // a member whose election listener died cannot rejoin: end the process rather than half serve
      return EmbeddedZooKeeper.startMember(dir, id, peers, ExitHandler.EXIT);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  /** Waits (without limit: the launcher bounds it) until the server serves; logs while a member lacks a quorum. */
  private static String awaitServing(EmbeddedZooKeeper zk) throws InterruptedException {
    while (true) {
      try {
        return zk.awaitServing(WAITING_LOG);
      } catch (IllegalStateException e) {
        log.info("waiting to serve: {}", e.getMessage());
      }
    }
  }

  public static void main(String[] args) {
    int rc = new CommandLine(new EmbeddedZooKeeperMain()).execute(args);
    if (rc != 0) {
      System.exit(rc);
    }
  }
}
