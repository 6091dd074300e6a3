package io.basalt.it.net;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A private network for one test cluster (TESTPLAN 2): every process gets its own network namespace
 * {@code basalt-<n>-<node>} with one address {@code 10.213.<n>.x}, plugged by a veth pair into a bridge in the hub
 * namespace {@code basalt-<n>}; the test JVM stays in the root namespace and reaches the bridge through the veth
 * {@code bsl<n>} with address {@code 10.213.<n>.1} (plus any proxy addresses it adds). A namespace per process (not
 * several addresses in one namespace) makes each process's source address its own without binding every outgoing
 * socket, so {@link Partitions} can cut any directed pair by address, including the test JVM's traffic.
 *
 * <p>Needs root, iproute2 and nftables: {@link #unavailableReason()} tells why not, and tests skip visibly then.
 * {@link #close()} deletes every namespace it made (their veths go with them); processes must be dead first or the
 * kernel keeps their namespace alive until they exit.
 */
public final class TestNetwork implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TestNetwork.class);
  /** The first two octets of every test subnet; the third picks the network, the fourth the node. */
  static final String BASE = "10.213.";
  static final String NS_PREFIX = "basalt-";

  private final int net;
  private final String hub;
  private final String rootLink;
  private final Map<String, String> nodeNamespaces = new ConcurrentHashMap<>();
  private final Partitions partitions;
  private volatile boolean closed;

  private TestNetwork(int net) {
    this.net = net;
    this.hub = NS_PREFIX + net;
    this.rootLink = "bsl" + net;
    this.partitions = new Partitions(hub);
  }

  /**
   * Empty when this process can build test networks; else why not: not root, no ip or nft, namespaces refused, or
   * switched off with {@code -Dbasalt.it.netns=off}.
   */
  public static Optional<String> unavailableReason() {
    if ("off".equals(System.getProperty("basalt.it.netns"))) {
      return Optional.of("disabled by -Dbasalt.it.netns=off");
    }
    if (!isRoot()) {
      return Optional.of("network namespaces need root (this JVM runs as uid " + uid() + ")");
    }
    for (String tool : new String[] {"ip", "nft"}) {
      Shell.Result r = Shell.tryRun(tool, "-V");
      if (r.exitCode() == 127) {
        return Optional.of(tool + " is not installed (apt-get install iproute2 nftables)");
      }
    }
    String probe = NS_PREFIX + "probe-" + ProcessHandle.current().pid();
    Shell.Result add = Shell.tryRun("ip", "netns", "add", probe);
    if (!add.ok()) {
      return Optional.of("ip netns add failed: " + add.output().strip());
    }
    Shell.Result nft = Shell.tryRun("ip", "netns", "exec", probe, "nft", "add", "table", "bridge", "probe");
    Shell.tryRun("ip", "netns", "del", probe);
    return nft.ok() ? Optional.empty() : Optional.of("nft in a namespace failed: " + nft.output().strip());
  }

  /** Creates the hub, its bridge, the nft table and the test JVM's link, on the first free {@code 10.213.<n>/24}. */
  public static TestNetwork create() {
    String existing = Shell.run("ip", "-o", "addr", "show");
    for (int n = 1; n < 255; n++) {
      if (existing.contains(" " + BASE + n + ".")) {
        continue; // the subnet is in use in the root namespace (another cluster or a leftover)
      }
      if (!Shell.tryRun("ip", "netns", "add", NS_PREFIX + n).ok()) {
        continue; // taken by a concurrent or leftover network
      }
      TestNetwork network = new TestNetwork(n);
      try {
        network.setUpHub();
        return network;
      } catch (RuntimeException e) {
        network.close();
        throw e;
      }
    }
    throw new IllegalStateException("no free test subnet in " + BASE + "1-254.0/24 (leftover basalt-* namespaces? "
        + "see `ip netns list`)");
  }

  private void setUpHub() {
    ns(hub, "ip", "link", "set", "lo", "up");
    ns(hub, "ip", "link", "add", "br0", "type", "bridge");
    ns(hub, "ip", "link", "set", "br0", "up");
    Shell.run("ip", "link", "add", rootLink, "type", "veth", "peer", "name", "uplink", "netns", hub);
    ns(hub, "ip", "link", "set", "dev", "uplink", "master", "br0", "up");
    Shell.run("ip", "addr", "add", hostAddress() + "/24", "dev", rootLink);
    Shell.run("ip", "link", "set", rootLink, "up");
    partitions.install();
    log.info("test network {}0/24: hub namespace {}, test JVM at {} on {}", BASE + net + ".", hub, hostAddress(),
        rootLink);
  }

  /** {@code 10.213.<n>.<lastOctet>}. */
  public String address(int lastOctet) {
    if (lastOctet < 2 || lastOctet > 254) {
      throw new IllegalArgumentException("last octet " + lastOctet + " outside [2, 254]");
    }
    return BASE + net + "." + lastOctet;
  }

  /** The test JVM's own address on this network (source of its connections to the nodes). */
  public String hostAddress() {
    return BASE + net + ".1";
  }

  /** The hub namespace's name, {@code basalt-<n>}. */
  public String hubNamespace() {
    return hub;
  }

  /**
   * Adds a node: namespace {@code basalt-<n>-<name>} with loopback and {@code eth0} at {@code address}, bridged to
   * the others. Idempotent per name.
   */
  public void addNode(String name, String address) {
    checkOpen();
    if (nodeNamespaces.containsKey(name)) {
      return;
    }
    String ns = hub + "-" + name;
    String hubSide = ("n-" + name).length() <= 15 ? "n-" + name : "n" + nodeNamespaces.size();
    Shell.run("ip", "netns", "add", ns);
    nodeNamespaces.put(name, ns);
    Shell.run("ip", "link", "add", hubSide, "netns", hub, "type", "veth", "peer", "name", "eth0", "netns", ns);
    ns(hub, "ip", "link", "set", "dev", hubSide, "master", "br0", "up");
    ns(ns, "ip", "link", "set", "lo", "up");
    ns(ns, "ip", "addr", "add", address + "/24", "dev", "eth0");
    ns(ns, "ip", "link", "set", "eth0", "up");
  }

  /** Adds {@code address} (of this network) to the test JVM's link, e.g. for a fault proxy other nodes dial. */
  public void addHostAddress(String address) {
    checkOpen();
    Shell.run("ip", "addr", "add", address + "/24", "dev", rootLink);
  }

  /** The command prefix that runs a program inside node {@code name}'s namespace (it execs: same pid). */
  public List<String> execPrefix(String name) {
    String ns = nodeNamespaces.get(name);
    if (ns == null) {
      throw new IllegalArgumentException("no node " + name + " in " + hub);
    }
    return List.of("ip", "netns", "exec", ns);
  }

  /** Cuts and heals directed address pairs on this network's bridge. */
  public Partitions partitions() {
    return partitions;
  }

  /** Deletes the node namespaces, the hub (and with it every veth). Idempotent; logs what it could not delete. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    List<String> all = new ArrayList<>(nodeNamespaces.values());
    all.add(hub);
    for (String ns : all) {
      Shell.Result r = Shell.tryRun("ip", "netns", "del", ns);
      if (!r.ok() && Files.exists(Path.of("/run/netns", ns))) {
        log.warn("cannot delete namespace {}: {}", ns, r.output().strip());
      }
    }
    Shell.tryRun("ip", "link", "del", rootLink); // normally gone with its peer in the hub
    log.info("test network {}0/24 removed", BASE + net + ".");
  }

  private static void ns(String ns, String... command) {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    cmd.addAll(List.of(command));
    Shell.run(cmd);
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("test network " + hub + " is closed");
    }
  }

  /** Whether this JVM runs as root: network namespaces, mounts and ptrace need it. */
  public static boolean isRoot() {
    return "0".equals(uid());
  }

  /** This JVM's real user id from /proc ("?" when unreadable). */
  public static String uid() {
    try {
      return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Uid:"))
          .map(l -> l.split("\\s+")[1]).findFirst().orElse("?");
    } catch (IOException e) {
      return "?";
    }
  }
}
