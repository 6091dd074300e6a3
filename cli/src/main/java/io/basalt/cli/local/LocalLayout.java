package io.basalt.cli.local;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Where everything of a local cluster lives: ports (defaults shifted by {@code basePort} so a second cluster can
 * run beside the first), data directories and log files under {@code dir}, and each process's arguments (meta and
 * chunk servers also get the {@code sessions} flags that were given). Pure function of its inputs.
 *
 * <p>One ZooKeeper server is standalone and one meta server is alone: each is index 0, named "zookeeper" / "meta",
 * as every cluster was before ensembles (so an old directory keeps its layout). Three ZooKeeper servers form an
 * ensemble, members zookeeper-1..3 on client ports 2181.., quorum ports 2888.., election ports 3888..; several meta
 * servers are meta-1..N on 7000.., metrics 9100 for meta-1 and 9182.. for the others (9101..9180 are the chunks').
 */
public record LocalLayout(Path dir, int basePort, int chunks, SessionTimings sessions, int zookeepers, int metas) {
  public static final String HOST = "127.0.0.1";
  public static final String CLUSTER = "local";
  public static final int ZK_PORT = 2181;
  public static final int ZK_QUORUM_PORT = 2888;
  public static final int ZK_ELECTION_PORT = 3888;
  public static final int META_PORT = 7000;
  public static final int CHUNK_PORT_BASE = 7100;
  public static final int NBD_PORT = 10809;
  public static final int META_METRICS_PORT = 9100;
  /** Metrics of meta-2..N: this + index (meta-1 keeps {@link #META_METRICS_PORT}). */
  public static final int META_METRICS_EXTRA_BASE = 9180;
  public static final int CHUNK_METRICS_BASE = 9100;
  public static final int NBD_METRICS_PORT = 9190;
  public static final int MAX_CHUNKS = 80;
  public static final int MAX_METAS = 5;
  public static final int DEFAULT_ZOOKEEPERS = 3;
  public static final int DEFAULT_METAS = 3;
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
    checkZookeepers(zookeepers);
    checkMetas(metas);
  }

  /** One standalone ZooKeeper and one meta server (the layout before ensembles). */
  public LocalLayout(Path dir, int basePort, int chunks, SessionTimings sessions) {
    this(dir, basePort, chunks, sessions, 1, 1);
  }

  /** One standalone ZooKeeper and one meta server, with the servers' default session timings. */
  public LocalLayout(Path dir, int basePort, int chunks) {
    this(dir, basePort, chunks, SessionTimings.DEFAULTS);
  }

  /** @throws IllegalArgumentException unless 1 (standalone) or 3 (an ensemble) */
  public static void checkZookeepers(int n) {
    if (n != 1 && n != 3) {
      throw new IllegalArgumentException("--zk must be 1 (a standalone ZooKeeper) or 3 (an ensemble that survives "
          + "one failure), not " + n);
    }
  }

  /** @throws IllegalArgumentException unless 1..{@link #MAX_METAS} */
  public static void checkMetas(int n) {
    if (n < 1 || n > MAX_METAS) {
      throw new IllegalArgumentException("--metas must be between 1 and " + MAX_METAS + ", not " + n);
    }
  }

  /** The connect string of every ZooKeeper server: {@code 127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183}. */
  public String zkAddress() {
    return String.join(",", zookeeperIndexes().stream().map(i -> HOST + ":" + zkClientPort(i)).toList());
  }

  public String nbdUri(String volume) {
    return "nbd://" + HOST + ":" + (NBD_PORT + basePort) + "/" + volume;
  }

  public Path logDir() {
    return dir.resolve("logs");
  }

  /** Every process in start order: zookeeper(s), meta(s), chunk-1..N, nbd. */
  public List<ProcessSpec> processes() {
    List<ProcessSpec> out = new ArrayList<>(zookeeperSpecs());
    out.addAll(metaSpecs());
    for (int i = 1; i <= chunks; i++) {
      out.add(chunk(i));
    }
    out.add(nbd());
    return out;
  }

  /** Indexes of the ZooKeeper processes: [0] for a standalone server, [1..n] for ensemble members. */
  public List<Integer> zookeeperIndexes() {
    return indexes(zookeepers);
  }

  /** Indexes of the meta processes: [0] for a lone meta, [1..n] for several. */
  public List<Integer> metaIndexes() {
    return indexes(metas);
  }

  private static List<Integer> indexes(int n) {
    return n == 1 ? List.of(0) : IntStream.rangeClosed(1, n).boxed().toList();
  }

  public List<ProcessSpec> zookeeperSpecs() {
    return zookeeperIndexes().stream().map(this::zookeeper).toList();
  }

  public List<ProcessSpec> metaSpecs() {
    return metaIndexes().stream().map(this::meta).toList();
  }

  /** The first (or only) ZooKeeper server. */
  public ProcessSpec zookeeper() {
    return zookeeper(zookeeperIndexes().get(0));
  }

  /** ZooKeeper process {@code index}: 0 the standalone server (data in DIR/zk), 1..n ensemble members (DIR/zk-i). */
  public ProcessSpec zookeeper(int index) {
    int port = zkClientPort(index);
    if (index == 0) {
      Path data = dir.resolve("zk");
      return new ProcessSpec(Role.ZOOKEEPER, 0, HOST, port, 0, data, log("zookeeper"),
          List.of("--dir", data.toString(), "--host", HOST, "--port", Integer.toString(port)));
    }
    Path data = dir.resolve("zk-" + index);
    String ensemble = String.join(",", zookeeperIndexes().stream().map(i -> HOST + ":" + zkClientPort(i) + ":"
        + zkPort(ZK_QUORUM_PORT, i) + ":" + zkPort(ZK_ELECTION_PORT, i)).toList());
    return new ProcessSpec(Role.ZOOKEEPER, index, HOST, port, 0, data, log("zookeeper-" + index),
        List.of("--dir", data.toString(), "--id", Integer.toString(index), "--ensemble", ensemble),
        List.of(zkPort(ZK_QUORUM_PORT, index), zkPort(ZK_ELECTION_PORT, index)));
  }

  private int zkClientPort(int index) {
    return zkPort(ZK_PORT, index);
  }

  private int zkPort(int base, int index) {
    return base + Math.max(0, index - 1) + basePort;
  }

  /** The first (or only) meta server. */
  public ProcessSpec meta() {
    return meta(metaIndexes().get(0));
  }

  /** Meta process {@code index}: 0 a lone meta ("meta"), 1..n one of several ("meta-i"). */
  public ProcessSpec meta(int index) {
    int port = META_PORT + Math.max(0, index - 1) + basePort;
    int metrics = (index <= 1 ? META_METRICS_PORT : META_METRICS_EXTRA_BASE + index) + basePort;
    return new ProcessSpec(Role.META, index, HOST, port, metrics, null,
        log(ProcessRecord.name(Role.META, index)),
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
