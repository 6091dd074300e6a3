package io.basalt.meta.zk;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.zookeeper.server.embedded.ExitHandler;
import org.apache.zookeeper.server.embedded.ZooKeeperServerEmbedded;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One standalone ZooKeeper server inside this JVM, for {@code local} mode and tests. Owns its data directory
 * (created if missing) and the server threads ZooKeeper starts. Never calls System.exit on a server error
 * ({@link ExitHandler#LOG_ONLY}); the admin HTTP server is off (Jetty is not on our classpath).
 *
 * <p>Thread: start/close from one thread; {@link #getConnectionString()} from any.
 */
public final class EmbeddedZooKeeper implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedZooKeeper.class);
  private static final long START_TIMEOUT_MS = 30_000;

  private final ZooKeeperServerEmbedded server;
  private final String host;
  private final int port;
  private final Path dir;
  private boolean closed;

  private EmbeddedZooKeeper(ZooKeeperServerEmbedded server, String host, int port, Path dir) {
    this.server = server;
    this.host = host;
    this.port = port;
    this.dir = dir;
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
    try {
      Path base = dir.toAbsolutePath();
      Files.createDirectories(base.resolve("data"));
      Properties cfg = new Properties();
      cfg.setProperty("clientPort", Integer.toString(port));
      cfg.setProperty("clientPortAddress", host);
      cfg.setProperty("dataDir", base.resolve("data").toString());
      cfg.setProperty("tickTime", "500");
      cfg.setProperty("initLimit", "10");
      cfg.setProperty("syncLimit", "5");
      cfg.setProperty("minSessionTimeout", "1000");
      cfg.setProperty("maxSessionTimeout", "60000");
      cfg.setProperty("admin.enableServer", "false");
      cfg.setProperty("4lw.commands.whitelist", "ruok,stat,srvr,mntr");
      ZooKeeperServerEmbedded zk = ZooKeeperServerEmbedded.builder()
          .baseDir(base)
          .configuration(cfg)
          .exitHandler(ExitHandler.LOG_ONLY)
          .build();
      try {
        zk.start(START_TIMEOUT_MS);
      } catch (Exception e) {
        zk.close();
        throw e;
      }
      log.info("embedded zookeeper started host={} port={} dir={}", host, port, base);
      return new EmbeddedZooKeeper(zk, host, port, base);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare zookeeper dir " + dir, e);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("cannot start zookeeper on " + host + ":" + port + ": " + e, e);
    }
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
