package io.basalt.it.cluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Options of a {@link ProcessCluster}: how many processes of each role, the cluster name, extra command-line
 * arguments per role (e.g. {@code --zk-session-timeout 4s} for metas) and extra JVM flags for every process.
 */
public final class ProcessClusterBuilder {
  final Path baseDir;
  int chunks = 4;
  int metas = 1;
  boolean nbd = true;
  String cluster = "it";
  Duration readyTimeout = Duration.ofSeconds(60);
  final Map<NodeRole, List<String>> extraArgs = new EnumMap<>(NodeRole.class);
  final List<String> jvmArgs = new ArrayList<>();
  final List<String> commandPrefix = new ArrayList<>();
  boolean proxyChunks;

  ProcessClusterBuilder(Path baseDir) {
    this.baseDir = baseDir.toAbsolutePath();
  }

  /** Chunk servers, 127.0.0.30 and up (default 4). */
  public ProcessClusterBuilder chunks(int n) {
    this.chunks = check(NodeRole.CHUNK, n, 0);
    return this;
  }

  /** Meta servers, 127.0.0.20 and up (default 1); one is elected leader. */
  public ProcessClusterBuilder metas(int n) {
    this.metas = check(NodeRole.META, n, 1);
    return this;
  }

  /** ZooKeeper servers: only 1 (127.0.0.10) for now; the embedded server does not form an ensemble. */
  public ProcessClusterBuilder zookeepers(int n) {
    if (n != 1) {
      throw new UnsupportedOperationException("a ZooKeeper ensemble is not supported yet: zookeepers(1) only");
    }
    return this;
  }

  /** Whether to run the NBD server at 127.0.0.40 (default true). */
  /**
   * Puts a {@link io.basalt.it.faults.FaultProxy} in front of every chunk (on 127.0.0.60+i): each chunk advertises
   * its proxy, so client -> chunk and chunk -> chunk traffic to it crosses the proxy ({@code cluster.proxy(node)}).
   */
  public ProcessClusterBuilder proxyChunks(boolean proxy) {
    this.proxyChunks = proxy;
    return this;
  }

  public ProcessClusterBuilder nbd(boolean nbd) {
    this.nbd = nbd;
    return this;
  }

  /** The cluster name: ZooKeeper root /basalt/<cluster> (default "it"). */
  public ProcessClusterBuilder cluster(String name) {
    this.cluster = name;
    return this;
  }

  /** Appends arguments to the command line of every process of {@code role}. */
  public ProcessClusterBuilder args(NodeRole role, String... args) {
    extraArgs.computeIfAbsent(role, r -> new ArrayList<>()).addAll(List.of(args));
    return this;
  }

  /** Appends JVM flags (before the main class) to every process. */
  public ProcessClusterBuilder jvmArgs(String... args) {
    jvmArgs.addAll(List.of(args));
    return this;
  }

  /**
   * Runs every process under {@code prefix} (e.g. {@code ip netns exec basalt-<run>}, for the later netns
   * partitions). The prefix must exec the command, so that the started pid is the JVM's and signals reach it.
   */
  public ProcessClusterBuilder commandPrefix(String... prefix) {
    commandPrefix.addAll(List.of(prefix));
    return this;
  }

  /** How long start-up and {@link ProcessCluster#awaitReady} wait for a node (default 60 s). */
  public ProcessClusterBuilder readyTimeout(Duration timeout) {
    this.readyTimeout = timeout;
    return this;
  }

  /** The distribution jar: {@code ${basalt.repo.root}/deploy/target/basalt.jar}. */
  Path jar() {
    Path root = Path.of(System.getProperty("basalt.repo.root", "..")).toAbsolutePath().normalize();
    Path jar = root.resolve("deploy/target/basalt.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " is missing: build the deploy module before the tests module");
    }
    return jar;
  }

  /** Starts every process and waits until all are ready; on failure kills what it started and rethrows. */
  public ProcessCluster start() {
    jar();
    return new ProcessCluster(this).startAll();
  }

  /**
   * Every node of the cluster, not started: ports picked free on each node's own address, the JVM flags of
   * TESTPLAN 4, and {@code -Dbasalt.it.run=<runId>} on each command line so that leftovers are easy to find.
   */
  List<ClusterNode> layout(String runId) {
    List<ClusterNode> nodes = new ArrayList<>();
    int zkPort = Signals.freePort(NodeRole.ZOOKEEPER.host(0));
    String zk = NodeRole.ZOOKEEPER.host(0) + ":" + zkPort;
    nodes.add(node(runId, NodeRole.ZOOKEEPER, 0, zkPort, List.of("--dir", dir(NodeRole.ZOOKEEPER, 0).toString(),
        "--host", NodeRole.ZOOKEEPER.host(0), "--port", Integer.toString(zkPort))));
    List<String> common = List.of("--zk", zk, "--cluster", cluster);
    for (int i = 0; i < metas; i++) {
      nodes.add(node(runId, NodeRole.META, i, -1, concat(common, "--metrics-port", "-1")));
    }
    for (int i = 0; i < chunks; i++) {
      List<String> args = concat(common, "--dir", dir(NodeRole.CHUNK, i).toString(), "--metrics-port", "0",
          "--test-mode");
      String advertised = null;
      if (proxyChunks) {
        String proxyHost = "127.0.0." + (60 + i);
        advertised = proxyHost + ":" + Signals.freePort(proxyHost);
        args = concat(args, "--advertise", advertised);
      }
      ClusterNode n = node(runId, NodeRole.CHUNK, i, -1, args);
      nodes.add(new ClusterNode(n.role(), n.index(), n.port(), n.dataDir(), n.logFile(), n.command(), advertised));
    }
    if (nbd) {
      nodes.add(node(runId, NodeRole.NBD, 0, -1, concat(common, "--metrics-port", "0")));
    }
    return nodes;
  }

  /** A node; {@code port} -1 = pick one and pass it as {@code --listen host:port}. */
  private ClusterNode node(String runId, NodeRole role, int index, int port, List<String> args) {
    int p = port > 0 ? port : Signals.freePort(role.host(index));
    List<String> cmd = new ArrayList<>(commandPrefix);
    cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx192m",
        "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k", "-Dio.netty.eventLoopThreads=2",
        "-Dlogback.configurationFile=basalt-local-logback.xml", "-Dbasalt.it.run=" + runId));
    cmd.addAll(jvmArgs);
    cmd.addAll(List.of("-cp", jar().toString(), role.mainClass()));
    cmd.addAll(args);
    if (port <= 0) {
      cmd.addAll(List.of("--listen", role.host(index) + ":" + p));
    }
    cmd.addAll(extraArgs.getOrDefault(role, List.of()));
    return new ClusterNode(role, index, p, role.hasDataDir() ? dir(role, index) : null,
        baseDir.resolve("logs").resolve(role.shortName() + "-" + index + ".log"), cmd);
  }

  private Path dir(NodeRole role, int index) {
    return baseDir.resolve(role.shortName() + "-" + index);
  }

  private static List<String> concat(List<String> first, String... more) {
    List<String> all = new ArrayList<>(first);
    all.addAll(List.of(more));
    return all;
  }

  private static int check(NodeRole role, int n, int min) {
    if (n < min || n > role.maxNodes()) {
      throw new IllegalArgumentException(role + " count " + n + " outside [" + min + ", " + role.maxNodes() + "]");
    }
    return n;
  }
}
