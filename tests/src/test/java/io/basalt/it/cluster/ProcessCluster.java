package io.basalt.it.cluster;

import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import io.basalt.common.HostPort;
import io.basalt.it.faults.FaultProxy;
import io.basalt.meta.zk.EmbeddedZooKeeper;
import io.basalt.proto.ChunkInfo;
import io.basalt.proto.ClusterStatusResponse;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.ExtentState;
import io.basalt.proto.ListRecoveriesResponse;
import io.basalt.proto.QuarantineReport;
import io.basalt.proto.RecoveryThrottle;
import io.basalt.proto.ReplicaStatusResponse;
import io.basalt.proto.SessionInfo;
import io.basalt.proto.SetFailpointRequest;
import io.basalt.proto.VolumeInfo;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.RpcClientFactory;
import io.basalt.session.CuratorRetry;
import io.basalt.session.MetaClient;
import io.basalt.session.ZkMetaLocator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.slf4j.LoggerFactory;

/**
 * A Basalt cluster of real processes (TESTPLAN 2 and 4) started from the distribution jar: ZooKeeper (one server or
 * an ensemble of three), meta servers, chunk servers and optionally the NBD server, each a JVM on its own loopback
 * address (see {@link NodeRole}) with its own data directory and log under the base directory. Nodes (ZooKeeper
 * members too) are killed, frozen, continued and restarted on the same directory, address and port; exits the test
 * did not cause are recorded ({@link #unexpectedDeaths()}). {@link #close()} (and a JVM shutdown hook) kills every
 * process it started. Thread-safe for control calls.
 */
public final class ProcessCluster implements AutoCloseable, ClusterView {
  private final ProcessClusterBuilder config;
  private final Addressing addressing;
  private final String runId;
  private final List<ClusterNode> nodes = new CopyOnWriteArrayList<>();
  private final List<ClusterNode.Death> deaths = new CopyOnWriteArrayList<>();
  private final Thread shutdownHook = new Thread(this::killAndRemoveNetwork, "process-cluster-shutdown");
  private CuratorFramework curator;
  private RpcClientFactory rpc;
  private MetaClient metaClient;
  private volatile boolean closed;
  private final ChunkProxies proxies = new ChunkProxies();

  ProcessCluster(ProcessClusterBuilder config, Addressing addressing) {
    this.config = config;
    this.addressing = addressing;
    this.runId = "pc-" + Long.toHexString(System.nanoTime() & 0xffffffffL) + "-" + ProcessHandle.current().pid();
  }

  /** A builder for a cluster whose files live under {@code baseDir} (a JUnit {@code @TempDir}). */
  public static ProcessClusterBuilder builder(Path baseDir) {
    return new ProcessClusterBuilder(baseDir);
  }

  /**
   * Starts ZooKeeper (every member of an ensemble before waiting: a member serves once a quorum formed), then every
   * other process at once, and waits until each is ready and a meta leads.
   */
  ProcessCluster startAll() {
    Runtime.getRuntime().addShutdownHook(shutdownHook);
    try {
      nodes.addAll(config.layout(runId, addressing));
      zookeepers().forEach(this::start);
      zookeepers().forEach(this::awaitReady);
      curator = CuratorFrameworkFactory.builder().connectString(zkAddress()).sessionTimeoutMs(30_000)
          .connectionTimeoutMs(5_000).retryPolicy(CuratorRetry.zkClient()).build();
      curator.start();
      rpc = new RpcClientFactory("process-cluster", new MetricRegistry());
      metaClient = new MetaClient(new ZkMetaLocator(curator, config.cluster), rpc);
      proxies.startFor(nodes, this::metaLeaderForProxy);
      nodes.stream().filter(n -> n.role() != NodeRole.ZOOKEEPER).forEach(this::start);
      metas().forEach(this::awaitReady);
      awaitMetaLeader();
      nodes.stream().filter(n -> n.role() == NodeRole.CHUNK || n.role() == NodeRole.NBD).forEach(this::awaitReady);
      return this;
    } catch (RuntimeException | Error e) {
      close();
      throw e;
    }
  }

  // ---- node control ----

  /** Starts {@code node} again after a kill (same directory, address and port); see {@link #awaitReady}. */
  public void start(ClusterNode node) {
    checkOpen();
    node.start(deaths::add);
  }

  /** SIGKILL, and wait until the process is gone. A no-op on a node that is not running. */
  public void kill9(ClusterNode node) {
    if (node.isAlive()) {
      node.markKilled();
      Signals.signal(node, "KILL");
      Signals.awaitExit(node);
    }
  }

  /**
   * Makes {@code node} exit at the next pass through failpoint {@code name} (a crash between two steps), as an
   * expected death. The exit may come before the answer to this call: a connection closed by it is no error.
   */
  public void failpointExit(ClusterNode node, String name) {
    node.markKilled();
    try {
      failpoint(node, name, "1*exit");
    } catch (CompletionException e) {
      if (node.isAlive() && !(e.getCause() instanceof BasaltException b && b.code() == ErrorCode.UNAVAILABLE)) {
        throw e;
      }
    }
  }

  /** SIGSTOP (the process freezes: no heartbeats, no replies), and wait until the kernel shows it stopped. */
  public void stop(ClusterNode node) {
    Signals.signal(node, "STOP");
    node.markStopped(true);
    Signals.awaitStopped(node, true);
  }

  /** SIGCONT after {@link #stop}. */
  public void cont(ClusterNode node) {
    Signals.signal(node, "CONT");
    node.markStopped(false);
    Signals.awaitStopped(node, false);
  }

  /** kill -9 if running, then start it again on the same directory, address and port, and await it ready. */
  public ClusterNode restart(ClusterNode node) {
    kill9(node);
    start(node);
    awaitReady(node);
    return node;
  }

  /**
   * Waits until the current incarnation printed its ready line and serves: ZooKeeper and NBD accept connections,
   * a meta answers RPCs (as leader or follower), a chunk is registered and heard from since this start.
   */
  public void awaitReady(ClusterNode node) {
    new Readiness(this).await(node, config.readyTimeout);
  }

  /** The meta whose address /basalt/<cluster>/meta/active holds (still stale for a session after a kill). */
  public Optional<ClusterNode> metaLeader() {
    try {
      String address = new String(curator.getData().forPath(ZkMetaLocator.activePath(config.cluster)),
          StandardCharsets.UTF_8);
      return metas().stream().filter(m -> m.address().equals(address)).findFirst();
    } catch (Exception e) {
      return Optional.empty();
    }
  }

  /** Where a meta-path proxy dials: the leader ZooKeeper names, else the first meta (it answers NOT_LEADER). */
  private HostPort metaLeaderForProxy() {
    return HostPort.parse(metaLeader().orElse(meta(0)).address());
  }

  /** Waits until a running meta is named in meta/active and serves as leader (answers ListChunks with OK). */
  public ClusterNode awaitMetaLeader() {
    Readiness readiness = new Readiness(this);
    return await("an active meta leader").atMost(config.readyTimeout).pollInterval(Duration.ofMillis(50))
        .until(() -> metaLeader().filter(m -> m.isAlive() && !m.isStopped() && readiness.leads(m)), Optional::isPresent)
        .orElseThrow();
  }

  // ---- views ----

  public List<ClusterNode> nodes() {
    return List.copyOf(nodes);
  }

  public List<ClusterNode> nodes(NodeRole role) {
    return nodes.stream().filter(n -> n.role() == role).toList();
  }

  /** The (first) ZooKeeper server. */
  public ClusterNode zookeeper() {
    return zookeeper(0);
  }

  /** ZooKeeper server {@code index}: member {@code index + 1} of an ensemble (see {@code zookeepers(3)}). */
  public ClusterNode zookeeper(int index) {
    return zookeepers().get(index);
  }

  public List<ClusterNode> zookeepers() {
    return nodes(NodeRole.ZOOKEEPER);
  }

  /**
   * What ZooKeeper server {@code node} says it is (its {@code srvr} command): "standalone", "leader" or "follower";
   * empty while it does not serve (dead, frozen, or a member without a quorum).
   */
  public Optional<String> zookeeperMode(ClusterNode node) {
    if (node.role() != NodeRole.ZOOKEEPER) {
      throw new IllegalArgumentException(node + " is no ZooKeeper server");
    }
    return node.isAlive() && !node.isStopped() ? EmbeddedZooKeeper.mode(node.host(), node.port()) : Optional.empty();
  }

  /** Waits until a live member of the ensemble says it leads the ensemble, and returns it. */
  public ClusterNode awaitZookeeperLeader() {
    return await("a ZooKeeper leader").atMost(config.readyTimeout).pollInterval(Duration.ofMillis(100))
        .until(() -> zookeepers().stream().filter(z -> zookeeperMode(z).filter(m -> m.equals("leader")
            || m.equals("standalone")).isPresent()).findFirst(), Optional::isPresent).orElseThrow();
  }

  public List<ClusterNode> metas() {
    return nodes(NodeRole.META);
  }

  public ClusterNode meta(int index) {
    return metas().get(index);
  }

  public List<ClusterNode> chunks() {
    return nodes(NodeRole.CHUNK);
  }

  public ClusterNode chunk(int index) {
    return chunks().get(index);
  }

  /** The (first) NBD server node; fails when built without NBD. */
  public ClusterNode nbd() {
    return nbd(0);
  }

  /** NBD server {@code index} (see {@code nbdServers(n)}); fails when there are not that many. */
  public ClusterNode nbd(int index) {
    List<ClusterNode> servers = nodes(NodeRole.NBD);
    if (index < 0 || index >= servers.size()) {
      throw new IllegalStateException("no NBD server " + index + ": built with " + servers.size());
    }
    return servers.get(index);
  }

  /** {@code nbd://host:port/volume} of the (first) NBD server, for qemu-io, nbdcopy, nbdinfo. */
  public String nbdUri(String volume) {
    return nbdUri(0, volume);
  }

  /** {@code nbd://host:port/volume} of NBD server {@code index}. */
  public String nbdUri(int index, String volume) {
    return "nbd://" + nbd(index).address() + "/" + volume;
  }

  /** The node whose {@link ClusterNode#address()} is {@code address} (e.g. a replica address of an extent). */
  public Optional<ClusterNode> byAddress(String address) {
    return nodes.stream().filter(n -> n.address().equals(address) || n.advertisedAddress().equals(address))
        .findFirst();
  }

  /** The fault proxy in front of chunk {@code node} (cluster built with {@code proxyChunks(true)}). */
  public FaultProxy proxy(ClusterNode node) {
    return proxies.of(node);
  }

  /** The fault proxy on chunk {@code node}'s path to the meta leader (cluster built with {@code proxyMeta(true)}). */
  public FaultProxy metaProxy(ClusterNode node) {
    return proxies.metaPathOf(node);
  }

  /**
   * Directed cuts between nodes with nftables (cluster built with {@code netns(true)}): see {@link NodePartitions}.
   */
  public NodePartitions partitions() {
    return new NodePartitions(addressing.network().orElseThrow(() -> new IllegalStateException(
        "partitions need a network namespace: build the cluster with netns(true)")).partitions(),
        addressing.testJvmSource(), this::nodes);
  }

  /** Whether the processes run in their own network namespaces (see {@code netns(true)}). */
  public boolean inNetworkNamespaces() {
    return addressing.network().isPresent();
  }

  /** The ZooKeeper connect string: every server, {@code h1:p1,h2:p2,h3:p3}. */
  public String zkAddress() {
    return String.join(",", zookeepers().stream().map(ClusterNode::address).toList());
  }

  public String clusterName() {
    return config.cluster;
  }

  /** Marks every process's command line ({@code -Dbasalt.it.run=<id>}): {@code pgrep -f <id>} finds them. */
  public String runId() {
    return runId;
  }

  public Path baseDir() {
    return config.baseDir;
  }

  /** Processes that exited although the test did not kill them, with exit code and log tail (I6). */
  public List<ClusterNode.Death> unexpectedDeaths() {
    return List.copyOf(deaths);
  }

  public MetaClient metaClient() {
    return metaClient;
  }

  public RpcClientFactory rpc() {
    return rpc;
  }

  // ---- admin calls and ClusterView ----

  public VolumeInfo createVolume(String name, long size, long extentSize, int replicas) {
    return admin().createVolume(name, size, extentSize, replicas);
  }

  /** The leader's ClusterStatus: jeopardy, held expiries, healthy chunks, degraded extents, grace, pauses. */
  public ClusterStatusResponse clusterStatus() {
    return admin().clusterStatus();
  }

  /** The leader's sessions, live and recently ended. */
  public List<SessionInfo> sessions() {
    return admin().sessions();
  }

  /** {@code basalt cluster confirm-expiry}: returns how many held chunks lose their replicas. */
  public int confirmExpiry() {
    return admin().confirmExpiry();
  }

  /** {@code basalt recovery ls}: running and queued recoveries, the throttle, degraded and recovering counts. */
  public ListRecoveriesResponse recoveries() {
    return admin().recoveries();
  }

  /** {@code basalt recovery throttle}: 0 keeps a value; returns the throttle now in force. */
  public RecoveryThrottle setRecoveryThrottle(long bytesPerSec, int perChunk) {
    return admin().setRecoveryThrottle(bytesPerSec, perChunk);
  }

  /**
   * Whether every extent of {@code volume} is fully redundant: {@code replicas} members, HEALTHY, no recovery
   * target. For awaiting the end of recovery.
   */
  public boolean fullyRedundant(String volume, int replicas) {
    List<ExtentInfo> all = extents(volume);
    return !all.isEmpty() && all.stream().allMatch(e -> e.getReplicasCount() == replicas
        && e.getRecoveringCid() == 0 && e.getState() == ExtentState.EXTENT_HEALTHY
        // a killed member counts until its session expires: that is not redundancy yet
        && e.getReplicaAddressesList().stream().allMatch(a -> byAddress(a).map(n -> n.isAlive() && !n.isStopped())
            .orElse(true)));
  }

  /** The chunk node whose registered address is {@code cid}'s (ListChunks). */
  public ClusterNode chunkByCid(int cid) {
    String address = listChunks().stream().filter(c -> c.getCid() == cid).map(ChunkInfo::getAddress).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no chunk cid=" + cid));
    return byAddress(address).orElseThrow(() -> new IllegalStateException("no node at " + address));
  }

  /** A counter or gauge from {@code node}'s Prometheus endpoint (chunks only: metas run without one here). */
  public double metric(ClusterNode node, String name) {
    String admin = listChunks().stream().filter(c -> byAddress(c.getAddress()).filter(n -> n == node).isPresent())
        .map(ChunkInfo::getAdminAddress).findFirst().orElseThrow();
    try (var in = URI.create("http://" + admin + "/metrics").toURL().openStream()) {
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (line.startsWith(name + " ") || line.startsWith(name + "{") || line.startsWith(name + "_total ")) {
          return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
      return 0;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read metrics of " + node + " at " + admin, e);
    }
  }

  /** Sets failpoint {@code name} to {@code action} in {@code node} (started with --test-mode). */
  public void failpoint(ClusterNode node, String name, String action) {
    rpc.client(node.address()).call(Envelope.newBuilder().setSetFailpoint(
        SetFailpointRequest.newBuilder().setName(name).setAction(action)), Duration.ofSeconds(10)).join();
  }

  /** Whether the current incarnation of {@code node} logged a line containing {@code text}. */
  public boolean logged(ClusterNode node, String text) {
    return node.logTail(100_000).stream().anyMatch(l -> l.contains(text));
  }

  /** What meta's ListChunks says about every chunk (cid, address, status, last seen). */
  public List<ChunkInfo> listChunks() {
    return admin().listChunks();
  }

  @Override
  public List<ExtentInfo> extents(String volume) {
    return admin().extents(volume);
  }

  @Override
  public ReplicaStatusResponse replicaStatus(String chunkAddress, long pid) {
    return admin().replicaStatus(chunkAddress, pid);
  }

  @Override
  public byte[] readReplica(String chunkAddress, long pid, long offset, int length) {
    return admin().readReplica(chunkAddress, pid, offset, length);
  }

  /** The quarantine reports (evidence of quarantined replicas) the chunk at {@code chunkAddress} keeps. */
  public List<QuarantineReport> quarantine(String chunkAddress) {
    return admin().quarantine(chunkAddress);
  }

  private AdminCalls admin() {
    return new AdminCalls(metaClient, rpc);
  }

  // ---- evidence and cleanup ----

  /**
   * Freezes every live process (SIGSTOP), saves data directories, logs and summary.txt under {@code target}
   * (TESTPLAN 3.7), and leaves the processes stopped for {@link #close()} to kill. Never repairs anything.
   */
  public Evidence.Saved collectEvidence(Path target, String summary) {
    nodes.stream().filter(n -> n.isAlive() && !n.isStopped()).forEach(n -> {
      try {
        stop(n);
      } catch (RuntimeException e) {
        // exited meanwhile: its log says why
      }
    });
    String ruleset = addressing.network().map(n -> n.partitions().ruleset()).orElse(null);
    return Evidence.collect(target, summary, nodes(), unexpectedDeaths(), ruleset);
  }

  /** {@link #collectEvidence(Path, String)} into {@code tests/target/fault-evidence/<test>-<timestamp>/}. */
  public Evidence.Saved collectEvidence(String testName, String summary) {
    return collectEvidence(Evidence.defaultDir(testName), summary);
  }

  /** SIGCONT and SIGKILL every process, wait for each, then close the clients. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    killAndRemoveNetwork();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException | IllegalArgumentException e) {
      // shutting down already, or never registered
    }
    for (AutoCloseable c : new AutoCloseable[] {metaClient, curator, rpc, proxies}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        LoggerFactory.getLogger(ProcessCluster.class).warn("close failed: {}", e.toString());
      }
    }
  }

  /** Kills every process, then removes the network namespaces (a namespace outlives nothing that runs in it). */
  private void killAndRemoveNetwork() {
    Signals.killAll(List.copyOf(nodes));
    addressing.close();
  }

  private void checkOpen() {
    if (closed) throw new IllegalStateException("cluster closed");
  }
}
