package io.basalt.meta.zk;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.apache.zookeeper.client.FourLetterWordMain;
import org.apache.zookeeper.common.X509Exception;
import org.apache.zookeeper.server.embedded.ExitHandler;
import org.apache.zookeeper.server.embedded.ZooKeeperServerEmbedded;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ZooKeeper server inside this JVM, for {@code local} mode and tests: standalone ({@link #start}) or one member
 * of a real quorum ({@link #startMember}, ZooKeeper's own QuorumPeer). Owns its data directory (created if missing)
 * and the server threads ZooKeeper starts. Unless told otherwise it never calls System.exit on a server error
 * ({@link ExitHandler#LOG_ONLY}); the admin HTTP server is off (Jetty is not on our classpath). The small tickTime
 * (500 ms, sessions from 1 s) lets meta servers negotiate short session timeouts; {@code srvr}, {@code ruok} and
 * {@code mntr} answer on the client port so tools can ask a member's mode ({@link #mode}).
 *
 * <p>Thread: start/close from one thread; the rest from any.
 */
public final class EmbeddedZooKeeper implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedZooKeeper.class);
  private static final long START_TIMEOUT_MS = 30_000;

  /** The file ZooKeeper reads a member's server id from; a standalone server has none. */
  static final String MYID = "myid";
  private static final long POLL_MS = 100;

  private final ZooKeeperServerEmbedded server;
  private final String host;
  private final int port;
  private final Path dir;
  private final List<ZkPeer> ensemble;
  private boolean closed;

  private EmbeddedZooKeeper(ZooKeeperServerEmbedded server, String host, int port, Path dir, List<ZkPeer> ensemble) {
    this.server = server;
    this.host = host;
    this.port = port;
    this.dir = dir;
    this.ensemble = ensemble;
  }

  /** Starts on 127.0.0.1 and a free port. */
  public static EmbeddedZooKeeper start(Path dir) {
    return start(dir, "127.0.0.1", 0);
  }

  /**
   * Starts a server keeping its data under {@code dir}; port 0 picks a free port (retried on a bind race).
   * Blocks until the server serves or fails.
   */
  public static EmbeddedZooKeeper start(Path dir, String host, int port) {
    int attempts = port == 0 ? 3 : 1;
    RuntimeException last = null;
    for (int i = 0; i < attempts; i++) {
      int p = port == 0 ? freePort(host) : port;
      try {
        return startOnce(dir, host, p);
      } catch (RuntimeException e) {
        last = e;
        log.warn("embedded zookeeper failed to start host={} port={} attempt={}: {}", host, p, i + 1, e.toString());
      }
    }
    throw last;
  }

  private static EmbeddedZooKeeper startOnce(Path dir, String host, int port) {
    Path base = dir.toAbsolutePath();
    Path data = prepare(base);
    if (Files.exists(data.resolve(MYID))) {
      throw new IllegalStateException(base + " holds the data of ensemble member " + readMyId(data)
          + "; a standalone server will not start on it (start it with its ensemble)");
    }
    Properties cfg = baseConfig(data, host, port);
    return launch(base, cfg, ExitHandler.LOG_ONLY, host, port, List.of());
  }

  /**
   * Starts member {@code id} of {@code ensemble} (ids 1..n in list order, every member given the same list) with its
   * data under {@code dir}. Returns once the member runs, usually before it serves: it serves when a quorum has
   * formed, so start every member before waiting ({@link #awaitServing}). Refuses a directory that holds a
   * standalone server's data or another member's: a standalone data directory is never silently turned into an
   * ensemble member. {@code exit}: whether a fatal ZooKeeper error ends the JVM (a server process) or is only
   * logged (tests).
   */
  public static EmbeddedZooKeeper startMember(Path dir, int id, List<ZkPeer> ensemble, ExitHandler exit) {
    if (ensemble.size() < 3) {
      // two members stop serving when either fails: no better than one
      throw new IllegalArgumentException("an ensemble needs at least 3 members, not " + ensemble.size());
    }
    if (id < 1 || id > ensemble.size()) {
      throw new IllegalArgumentException("server id " + id + " outside [1, " + ensemble.size() + "]");
    }
    ZkPeer self = ensemble.get(id - 1);
    Path base = dir.toAbsolutePath();
    Path data = prepare(base);
    Path myid = data.resolve(MYID);
    try {
      if (Files.exists(myid)) {
        int recorded = readMyId(data);
        if (recorded != id) {
          throw new IllegalStateException(base + " holds the data of ensemble member " + recorded + ", not " + id);
        }
      } else if (Files.exists(data.resolve("version-2"))) {
        throw new IllegalStateException(base + " holds a standalone ZooKeeper's data; it is not turned into an "
            + "ensemble member (start it standalone, or use an empty directory)");
      } else {
        Files.writeString(myid, id + "\n", StandardCharsets.US_ASCII);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + myid, e);
    }
    Properties cfg = baseConfig(data, self.host(), self.clientPort());
    for (ZkPeer p : ensemble) {
      cfg.setProperty("server." + p.id(), p.serverLine());
    }
    EmbeddedZooKeeper zk = launch(base, cfg, exit, self.host(), self.clientPort(), ensemble);
    log.info("ensemble member started id={} of {} ensemble={}", id, ensemble.size(), ZkPeer.format(ensemble));
    return zk;
  }

  private static Path prepare(Path base) {
    Path data = base.resolve("data");
    try {
      Files.createDirectories(data);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare zookeeper dir " + base, e);
    }
    return data;
  }

  private static int readMyId(Path data) {
    try {
      return Integer.parseInt(Files.readString(data.resolve(MYID), StandardCharsets.US_ASCII).trim());
    } catch (IOException | NumberFormatException e) {
      throw new IllegalStateException("unreadable " + data.resolve(MYID) + ": " + e.getMessage(), e);
    }
  }

  /** What standalone servers and members share. */
  private static Properties baseConfig(Path data, String host, int port) {
    Properties cfg = new Properties();
    cfg.setProperty("clientPort", Integer.toString(port));
    cfg.setProperty("clientPortAddress", host);
    cfg.setProperty("dataDir", data.toString());
    cfg.setProperty("tickTime", "500");
    cfg.setProperty("initLimit", "10");
    cfg.setProperty("syncLimit", "5");
    cfg.setProperty("minSessionTimeout", "1000");
    cfg.setProperty("maxSessionTimeout", "60000");
    cfg.setProperty("admin.enableServer", "false");
    cfg.setProperty("4lw.commands.whitelist", "ruok,stat,srvr,mntr");
    return cfg;
  }

  private static EmbeddedZooKeeper launch(Path base, Properties cfg, ExitHandler exit, String host, int port,
      List<ZkPeer> ensemble) {
    try {
      ZooKeeperServerEmbedded zk = ZooKeeperServerEmbedded.builder()
          .baseDir(base)
          .configuration(cfg)
          .exitHandler(exit)
          .build();
      try {
        zk.start(START_TIMEOUT_MS);
      } catch (Exception e) {
        zk.close();
        throw e;
      }
      log.info("embedded zookeeper started host={} port={} dir={}", host, port, base);
      return new EmbeddedZooKeeper(zk, host, port, base, ensemble);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("cannot start zookeeper on " + host + ":" + port + ": " + e, e);
    }
  }

  /**
   * Its mode as its {@code srvr} command says: "standalone", "leader" or "follower"; empty while it does not serve
   * (an ensemble member without a quorum) or does not answer.
   */
  public Optional<String> mode() {
    return mode(host, port);
  }

  /** The mode of the ZooKeeper server at {@code host:port} (see {@link #mode()}). */
  public static Optional<String> mode(String host, int port) {
    try {
      String srvr = FourLetterWordMain.send4LetterWord(host, port, "srvr", false, 2_000);
      return srvr.lines().filter(l -> l.startsWith("Mode: ")).map(l -> l.substring(6).trim()).findFirst();
    } catch (IOException | X509Exception.SSLContextException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * Waits until this server serves clients (a member: until a quorum formed with it) and returns its mode.
   *
   * @throws IllegalStateException after {@code timeout}
   */
  public String awaitServing(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Optional<String> m = mode();
      if (m.isPresent()) {
        return m.get();
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("zookeeper " + getConnectionString() + " does not serve after "
            + timeout.toMillis() + " ms" + (ensemble.isEmpty() ? "" : " (no quorum of " + ZkPeer.format(ensemble)
            + ")"));
      }
      Thread.sleep(POLL_MS);
    }
  }

  /** The members of its ensemble; empty for a standalone server. */
  public List<ZkPeer> ensemble() {
    return ensemble;
  }

  /** The connect string of every server of its ensemble (just its own for a standalone server). */
  public String ensembleConnectString() {
    return ensemble.isEmpty() ? getConnectionString() : ZkPeer.connectString(ensemble);
  }

  private static int freePort(String host) {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(host))) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a free port on " + host, e);
    }
  }

  /** {@code host:port} for ZooKeeper/Curator clients. */
  public String getConnectionString() {
    return host + ":" + port;
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  public Path dir() {
    return dir;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    server.close();
    log.info("embedded zookeeper stopped host={} port={}", host, port);
  }
}
