package io.basalt.it.cluster;

/**
 * The process roles of a {@link ProcessCluster}: main class in the distribution jar, the line it prints once it
 * serves, and its loopback address block (TESTPLAN 2: ZooKeeper 127.0.0.10+, meta .20+, chunks .30+, NBD .40+),
 * so that every process has its own address and a directed pair can be cut by address later (netns + nft).
 */
public enum NodeRole {
  ZOOKEEPER("zk", "io.basalt.meta.zk.EmbeddedZooKeeperMain", "zookeeper ready at ", 10, 3, true, 2181),
  META("meta", "io.basalt.meta.MetaServerMain", "meta server ready at ", 20, 3, false, 7000),
  CHUNK("chunk", "io.basalt.chunk.ChunkServerMain", "chunk server ready cid=", 30, 10, true, 7100),
  NBD("nbd", "io.basalt.client.NbdServerMain", "nbd server ready at ", 40, 4, false, 10809);

  private final String shortName;
  private final String mainClass;
  private final String readyMarker;
  private final int firstOctet;
  private final int maxNodes;
  private final boolean hasDataDir;
  private final int defaultPort;

  NodeRole(String shortName, String mainClass, String readyMarker, int firstOctet, int maxNodes,
      boolean hasDataDir, int defaultPort) {
    this.defaultPort = defaultPort;
    this.shortName = shortName;
    this.mainClass = mainClass;
    this.readyMarker = readyMarker;
    this.firstOctet = firstOctet;
    this.maxNodes = maxNodes;
    this.hasDataDir = hasDataDir;
  }

  /** "zk", "meta", "chunk" or "nbd": node names are {@code shortName-index}. */
  public String shortName() {
    return shortName;
  }

  public String mainClass() {
    return mainClass;
  }

  /** What the process prints on stdout once it serves. */
  public String readyMarker() {
    return readyMarker;
  }

  /** The loopback address of node {@code index} of this role. */
  public String host(int index) {
    return "127.0.0." + octet(index);
  }

  /** The last octet of node {@code index}'s address, on loopback and in a test network alike. */
  public int octet(int index) {
    if (index < 0 || index >= maxNodes) {
      throw new IllegalArgumentException(this + " index " + index + " outside [0, " + maxNodes + ")");
    }
    return firstOctet + index;
  }

  /** The port its nodes listen on inside a test network, where each has its own namespace (the usual port). */
  public int defaultPort() {
    return defaultPort;
  }

  public int maxNodes() {
    return maxNodes;
  }

  /** Whether the role keeps state on disk (ZooKeeper, chunks; meta keeps its tables in ZooKeeper). */
  public boolean hasDataDir() {
    return hasDataDir;
  }
}
