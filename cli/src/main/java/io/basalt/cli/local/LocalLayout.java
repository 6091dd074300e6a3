package io.basalt.cli.local;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where everything of a local cluster lives: ports (defaults shifted by {@code basePort} so a second cluster can
 * run beside the first), data directories and log files under {@code dir}, and each process's arguments (meta and
 * chunk servers also get the {@code sessions} flags that were given). Pure function of its inputs.
 */
public record LocalLayout(Path dir, int basePort, int chunks, SessionTimings sessions) {
  public static final String HOST = "127.0.0.1";
  public static final String CLUSTER = "local";
  public static final int ZK_PORT = 2181;
  public static final int META_PORT = 7000;
  public static final int CHUNK_PORT_BASE = 7100;
  public static final int NBD_PORT = 10809;
  public static final int META_METRICS_PORT = 9100;
  public static final int CHUNK_METRICS_BASE = 9100;
  public static final int NBD_METRICS_PORT = 9190;
  public static final int MAX_CHUNKS = 80;
  public static final int MAX_BASE_PORT = 65535 - NBD_PORT;
  /** Logback configuration shipped in the jar for local-mode servers: INFO to stdout, i.e. the log file. */
  public static final String LOGBACK_RESOURCE = "basalt-local-logback.xml";

  public LocalLayout {
    dir = dir.toAbsolutePath().normalize();
    sessions = sessions == null ? SessionTimings.DEFAULTS : sessions;
    if (chunks < 1 || chunks > MAX_CHUNKS) {
      throw new IllegalArgumentException("--chunks must be between 1 and " + MAX_CHUNKS + ", not " + chunks);
    }
    if (basePort < 0 || basePort > MAX_BASE_PORT) {
      throw new IllegalArgumentException("--base-port must be between 0 and " + MAX_BASE_PORT + ", not "
          + basePort);
    }
  }

  /** With the servers' default session timings. */
  public LocalLayout(Path dir, int basePort, int chunks) {
    this(dir, basePort, chunks, SessionTimings.DEFAULTS);
  }

  public String zkAddress() {
    return HOST + ":" + (ZK_PORT + basePort);
  }

  public String nbdUri(String volume) {
    return "nbd://" + HOST + ":" + (NBD_PORT + basePort) + "/" + volume;
  }

  public Path logDir() {
    return dir.resolve("logs");
  }

  /** Every process in start order: zookeeper, meta, chunk-1..N, nbd. */
  public List<ProcessSpec> processes() {
    List<ProcessSpec> out = new ArrayList<>();
    out.add(zookeeper());
    out.add(meta());
    for (int i = 1; i <= chunks; i++) {
      out.add(chunk(i));
    }
    out.add(nbd());
    return out;
  }

  public ProcessSpec zookeeper() {
    int port = ZK_PORT + basePort;
    Path data = dir.resolve("zk");
    return new ProcessSpec(Role.ZOOKEEPER, 0, HOST, port, 0, data, log("zookeeper"),
        List.of("--dir", data.toString(), "--host", HOST, "--port", Integer.toString(port)));
  }

  public ProcessSpec meta() {
    int port = META_PORT + basePort;
    int metrics = META_METRICS_PORT + basePort;
    return new ProcessSpec(Role.META, 0, HOST, port, metrics, null, log("meta"),
        withSessions("--zk", zkAddress(), "--cluster", CLUSTER, "--listen", HOST + ":" + port,
            "--metrics-port", Integer.toString(metrics)));
  }

  /** Chunk server {@code i}, 1-based. */
  public ProcessSpec chunk(int i) {
    int port = CHUNK_PORT_BASE + i + basePort;
    int metrics = CHUNK_METRICS_BASE + i + basePort;
    Path data = dir.resolve("chunk-" + i);
    return new ProcessSpec(Role.CHUNK, i, HOST, port, metrics, data, log("chunk-" + i),
        withSessions("--zk", zkAddress(), "--cluster", CLUSTER, "--dir", data.toString(), "--listen",
            HOST + ":" + port, "--metrics-port", Integer.toString(metrics)));
  }

  public ProcessSpec nbd() {
    int port = NBD_PORT + basePort;
    int metrics = NBD_METRICS_PORT + basePort;
    return new ProcessSpec(Role.NBD, 0, HOST, port, metrics, null, log("nbd"),
        List.of("--zk", zkAddress(), "--cluster", CLUSTER, "--listen", HOST + ":" + port,
            "--metrics-port", Integer.toString(metrics)));
  }

  /** {@code args} followed by the session flags that were given (none by default). */
  private List<String> withSessions(String... args) {
    List<String> out = new ArrayList<>(List.of(args));
    out.addAll(sessions.args());
    return out;
  }

  private Path log(String name) {
    return logDir().resolve(name + ".log");
  }
}
