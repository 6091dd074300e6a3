package io.basalt.it.cluster;

import io.basalt.it.net.TestNetwork;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * Options of a {@link ProcessCluster}: how many processes of each role, the cluster name, extra command-line
 * arguments per role (e.g. {@code --zk-session-timeout 4s} for metas) and extra JVM flags for every process.
 */
public final class ProcessClusterBuilder {
  /** The usual quorum and election ports of an ensemble member (in a test network, where each has its own). */
  static final int ZK_QUORUM_PORT = 2888;
  static final int ZK_ELECTION_PORT = 3888;
  final Path baseDir;
  int chunks = 4;
  int metas = 1;
  int zookeepers = 1;
  int nbdServers = 1;
  String cluster = "it";
  Duration readyTimeout = Duration.ofSeconds(60);
  final Map<NodeRole, List<String>> extraArgs = new EnumMap<>(NodeRole.class);
  final List<String> jvmArgs = new ArrayList<>();
  final List<String> commandPrefix = new ArrayList<>();
  boolean proxyChunks;
  boolean proxyMeta;
  boolean netns;

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

  /**
   * ZooKeeper servers (default 1): one standalone server at 127.0.0.10, or 3, a real ensemble (separate processes,
   * 127.0.0.10-12, each its own quorum and election ports) that survives losing one member.
   */
  public ProcessClusterBuilder zookeepers(int n) {
    if (n != 1 && n != 3) {
      throw new IllegalArgumentException("zookeepers(" + n + "): 1 (standalone) or 3 (an ensemble)");
    }
    this.zookeepers = n;
    return this;
  }

  /**
   * Puts a {@link io.basalt.it.faults.FaultProxy} in front of every chunk (on 127.0.0.60+i): each chunk advertises
   * its proxy, so client -> chunk and chunk -> chunk traffic to it crosses the proxy ({@code cluster.proxy(node)}).
   */
  public ProcessClusterBuilder proxyChunks(boolean proxy) {
    this.proxyChunks = proxy;
    return this;
  }

  /**
   * Sends each chunk's meta traffic through its own {@link io.basalt.it.faults.FaultProxy} (on 127.0.0.70+i, or
   * 10.213.n.70+i): the chunk is started with {@code --meta <proxy>}, and the proxy dials whichever meta leads when a
   * connection opens ({@code cluster.metaProxy(chunk)}). Cuts one chunk's meta path but not its data channels.
   */
  public ProcessClusterBuilder proxyMeta(boolean proxy) {
    this.proxyMeta = proxy;
    return this;
  }

  /**
   * Runs every process in its own network namespace on a private bridge ({@link io.basalt.it.net.TestNetwork}), so
   * {@code cluster.partitions()} can cut any directed pair with nftables. Needs root: when the machine cannot,
   * {@link #start()} aborts the test (JUnit counts it as skipped) and prints why.
   */
  public ProcessClusterBuilder netns(boolean netns) {
    this.netns = netns;
    return this;
  }

  /**
   * Session timings for the meta and every chunk (TESTPLAN 2 uses keepalive 200 ms, timeout 2 s); the
   * production defaults (1 s / 10 s) otherwise.
   */
  public ProcessClusterBuilder sessions(Duration keepalive, Duration timeout) {
    String k = keepalive.toMillis() + "ms";
    String t = timeout.toMillis() + "ms";
    args(NodeRole.META, "--keepalive-interval", k, "--session-timeout", t);
    args(NodeRole.CHUNK, "--keepalive-interval", k, "--session-timeout", t);
    return this;
  }

  /** Whether to run the NBD server at 127.0.0.40 (default true); {@code nbd(true)} keeps {@link #nbdServers}. */
  public ProcessClusterBuilder nbd(boolean nbd) {
    this.nbdServers = nbd ? Math.max(1, nbdServers) : 0;
    return this;
  }

  /**
   * NBD servers, each its own process at 127.0.0.40 and up (default 1, at most 4): several block clients serving
   * the same volumes, as when a VM moves from one node to another ({@code cluster.nbd(i)}, {@code nbdUri(i, v)}).
   */
  public ProcessClusterBuilder nbdServers(int n) {
    this.nbdServers = check(NodeRole.NBD, n, 0);
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
   * Runs every process under {@code prefix} (e.g. {@code taskset -c 1}). The prefix must exec the command, so that
   * the started pid is the JVM's and signals reach it.
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
    Addressing addressing = Addressing.loopback();
    if (netns) {
      Optional<String> why = TestNetwork.unavailableReason();
      if (why.isPresent()) {
        System.err.println("SKIPPED (network namespace case): " + why.get());
      }
      Assumptions.assumeTrue(why.isEmpty(), () -> "network namespaces unavailable: " + why.get());
      addressing = Addressing.in(TestNetwork.create());
    }
    return new ProcessCluster(this, addressing).startAll();
  }

  /**
   * Every node of the cluster, not started: addresses and ports from {@code at}, the JVM flags of TESTPLAN 4, and
   * {@code -Dbasalt.it.run=<runId>} on each command line so that leftovers are easy to find.
   */
  List<ClusterNode> layout(String runId, Addressing at) {
    List<ClusterNode> nodes = new ArrayList<>(zookeeperNodes(runId, at));
    String zk = String.join(",", nodes.stream().map(ClusterNode::address).toList());
    List<String> common = List.of("--zk", zk, "--cluster", cluster);
    for (int i = 0; i < metas; i++) {
      nodes.add(node(runId, at, NodeRole.META, i, -1, concat(common, "--metrics-port", "-1"), null));
    }
    for (int i = 0; i < chunks; i++) {
      List<String> metaPath = common;
      if (proxyMeta) {
        String proxyHost = at.testJvmHost(ChunkProxies.META_PROXY_OCTET + i);
        metaPath = List.of("--meta", proxyHost + ":" + Signals.freePort(proxyHost), "--cluster", cluster);
      }
      List<String> args = concat(metaPath, "--dir", dir(NodeRole.CHUNK, i).toString(), "--metrics-port", "0",
          "--test-mode");
      String advertised = null;
      if (proxyChunks) {
        String proxyHost = at.testJvmHost(ChunkProxies.CHUNK_PROXY_OCTET + i);
        advertised = proxyHost + ":" + Signals.freePort(proxyHost);
        args = concat(args, "--advertise", advertised);
      }
      nodes.add(node(runId, at, NodeRole.CHUNK, i, -1, args, advertised));
    }
    for (int i = 0; i < nbdServers; i++) {
      nodes.add(node(runId, at, NodeRole.NBD, i, -1, concat(common, "--metrics-port", "0"), null));
    }
    return nodes;
  }

  /**
   * The ZooKeeper nodes: a standalone server, or ensemble members zk-0..2 with server ids 1..3, all given the same
   * member list (client, quorum and election port of each).
   */
  private List<ClusterNode> zookeeperNodes(String runId, Addressing at) {
    if (zookeepers == 1) {
      String host = at.host(NodeRole.ZOOKEEPER, 0);
      int port = at.port(NodeRole.ZOOKEEPER, 0);
      return List.of(node(runId, at, NodeRole.ZOOKEEPER, 0, port, List.of("--dir",
          dir(NodeRole.ZOOKEEPER, 0).toString(), "--host", host, "--port", Integer.toString(port)), null));
    }
    List<String> members = new ArrayList<>();
    List<Integer> clientPorts = new ArrayList<>();
    for (int i = 0; i < zookeepers; i++) {
      String host = at.host(NodeRole.ZOOKEEPER, i);
      int client = at.port(NodeRole.ZOOKEEPER, i);
      clientPorts.add(client);
      members.add(host + ":" + client + ":" + at.port(NodeRole.ZOOKEEPER, i, ZK_QUORUM_PORT) + ":"
          + at.port(NodeRole.ZOOKEEPER, i, ZK_ELECTION_PORT));
    }
    List<ClusterNode> out = new ArrayList<>();
    for (int i = 0; i < zookeepers; i++) {
      out.add(node(runId, at, NodeRole.ZOOKEEPER, i, clientPorts.get(i), List.of("--dir",
          dir(NodeRole.ZOOKEEPER, i).toString(), "--id", Integer.toString(i + 1), "--ensemble",
          String.join(",", members)), null));
    }
    return out;
  }

  /** A node; {@code port} -1 = pick one and pass it as {@code --listen host:port}. */
  private ClusterNode node(String runId, Addressing at, NodeRole role, int index, int port, List<String> args,
      String advertised) {
    String host = at.host(role, index);
    int p = port > 0 ? port : at.port(role, index);
    List<String> cmd = new ArrayList<>(commandPrefix);
    cmd.addAll(at.prefix(role, index));
    cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx192m",
        "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k", "-Dio.netty.eventLoopThreads=2",
        "-Dlogback.configurationFile=basalt-local-logback.xml", "-Dbasalt.it.run=" + runId));
    cmd.addAll(jvmArgs);
    cmd.addAll(List.of("-cp", jar().toString(), role.mainClass()));
    cmd.addAll(args);
    if (port <= 0) {
      cmd.addAll(List.of("--listen", host + ":" + p));
    }
    cmd.addAll(extraArgs.getOrDefault(role, List.of()));
    return new ClusterNode(role, index, host, p, role.hasDataDir() ? dir(role, index) : null,
        baseDir.resolve("logs").resolve(role.shortName() + "-" + index + ".log"), cmd, advertised);
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
