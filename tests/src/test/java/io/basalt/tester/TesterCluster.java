package io.basalt.tester;

import static org.awaitility.Awaitility.await;

import io.basalt.it.cluster.ClusterNode;
import io.basalt.it.cluster.ExternalTools;
import io.basalt.it.cluster.NodeRole;
import io.basalt.it.cluster.ProcessCluster;
import io.basalt.it.cluster.ProcessClusterBuilder;
import io.basalt.it.fault.SmallDisk;
import io.basalt.it.net.TestNetwork;
import io.basalt.proto.ExtentInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.opentest4j.TestAbortedException;

/**
 * The functional tester's cluster (issue 14): a 3-member ZooKeeper ensemble, 3 meta servers, 5 chunk servers behind
 * fault proxies (latency and bandwidth on a replica's data channel), one NBD server, in network namespaces when the
 * machine allows (root: partitions with nftables), with the last chunk's data directory on a small tmpfs (root: the
 * disk-full case). Two volumes: {@link #STRESS} for the stresser and {@link #FIO} for fio's verify passes. What it
 * could not have is kept as the reason the cases that need it are skipped.
 */
final class TesterCluster implements AutoCloseable {
  static final String STRESS = "stress";
  static final String FIO = "fio";
  static final long MiB = 1 << 20;
  static final long STRESS_BYTES = 24 * MiB;
  static final long FIO_BYTES = 16 * MiB;
  static final long EXTENT_BYTES = 4 * MiB;
  static final int REPLICAS = 3;
  static final int CHUNKS = 5;
  /** The small disk of the disk-full case: room for RocksDB's WAL and this chunk's share of both volumes. */
  static final int SMALL_DISK_MIB = 256;

  final ProcessCluster cluster;
  final TesterOptions options;
  final Optional<String> noNetns;
  final Optional<String> noSmallDisk;
  final Optional<String> noStrace;
  private final SmallDisk smallDisk; // null without one

  private TesterCluster(ProcessCluster cluster, TesterOptions options, Optional<String> noNetns,
      SmallDisk smallDisk, Optional<String> noSmallDisk) {
    this.cluster = cluster;
    this.options = options;
    this.noNetns = noNetns;
    this.smallDisk = smallDisk;
    this.noSmallDisk = noSmallDisk;
    this.noStrace = ExternalTools.installed("strace") ? Optional.empty()
        : Optional.of("strace is not installed (apt-get install strace)");
  }

  static TesterCluster start(TesterOptions o, TesterLog log) throws IOException {
    Path base = o.dir().resolve("cluster");
    Optional<String> noNetns = TestNetwork.unavailableReason();
    SmallDisk disk = null;
    Optional<String> noDisk = Optional.empty();
    try {
      // the last chunk's data directory (ProcessClusterBuilder: <base>/chunk-<i>), mounted before it starts
      disk = SmallDisk.mount(base.resolve("chunk-" + (CHUNKS - 1)), SMALL_DISK_MIB);
    } catch (TestAbortedException e) {
      noDisk = Optional.of(e.getMessage());
    }
    ProcessClusterBuilder b = ProcessCluster.builder(base).cluster("tester").zookeepers(3).metas(3).chunks(CHUNKS)
        .nbdServers(1).proxyChunks(true).netns(noNetns.isEmpty())
        .sessions(o.keepalive(), o.sessionTimeout())
        .args(NodeRole.CHUNK, "--replica-write-timeout", "1000ms", "--report-interval", "1s",
            "--recovery-busy-share", "1")
        .readyTimeout(Duration.ofSeconds(120));
    log.line("starting a cluster in " + base + ": 3 ZooKeeper, 3 meta, " + CHUNKS + " chunk, 1 NBD server"
        + (noNetns.isEmpty() ? ", in network namespaces" : " on loopback (" + noNetns.get() + ")")
        + (disk != null ? ", chunk-" + (CHUNKS - 1) + " on a " + SMALL_DISK_MIB + " MiB tmpfs" : "")
        + "; session timeout " + o.sessionTimeout().toMillis() + " ms");
    long t0 = System.nanoTime();
    ProcessCluster cluster;
    try {
      cluster = b.start();
    } catch (RuntimeException | Error e) {
      if (disk != null) {
        disk.close();
      }
      throw e;
    }
    TesterCluster c = new TesterCluster(cluster, o, noNetns, disk, noDisk);
    // Ctrl-C or a CI timeout: ProcessCluster's own hook kills the processes; this one also unmounts the small disk
    Runtime.getRuntime().addShutdownHook(new Thread(c::close, "tester-cluster-shutdown"));
    cluster.createVolume(STRESS, STRESS_BYTES, EXTENT_BYTES, REPLICAS);
    cluster.createVolume(FIO, FIO_BYTES, EXTENT_BYTES, REPLICAS);
    log.line(String.format("cluster ready in %.1f s: volumes %s (%d MiB) and %s (%d MiB), %d MiB extents x %d "
        + "replicas", (System.nanoTime() - t0) / 1e9, STRESS, STRESS_BYTES / MiB, FIO, FIO_BYTES / MiB,
        EXTENT_BYTES / MiB, REPLICAS));
    return c;
  }

  Optional<SmallDisk> smallDisk() {
    return Optional.ofNullable(smallDisk);
  }

  /** The chunk whose data directory is the small disk. */
  ClusterNode smallDiskChunk() {
    return cluster.chunk(CHUNKS - 1);
  }

  /** Every allocated extent of both volumes has all its replicas, live, and no recovery under way. */
  boolean fullyRedundant() {
    return cluster.fullyRedundant(STRESS, REPLICAS)
        && (cluster.extents(FIO).isEmpty() || cluster.fullyRedundant(FIO, REPLICAS));
  }

  /** Extent {@code index} of the stress volume, once it has a lease owner. */
  ExtentInfo ownedExtent(int index, Duration atMost) {
    return await("extent " + index + " of " + STRESS + " has an owner").atMost(atMost)
        .pollInterval(Duration.ofMillis(50)).until(() -> cluster.extents(STRESS).stream()
            .filter(e -> e.getIndex() == index && e.getOwnerCid() != 0 && e.getReplicasCount() > 0).findFirst(),
            Optional::isPresent).orElseThrow();
  }

  /** A random extent index of the stress volume. */
  int randomExtent(Random r) {
    return r.nextInt((int) (STRESS_BYTES / EXTENT_BYTES));
  }

  ClusterNode ownerOf(ExtentInfo e) {
    return cluster.chunkByCid(e.getOwnerCid());
  }

  /** A member of {@code e} that is not its owner, at random. */
  ClusterNode nonOwnerMember(ExtentInfo e, Random r) {
    List<Integer> others = e.getReplicasList().stream().filter(c -> c != e.getOwnerCid()).toList();
    if (others.isEmpty()) {
      throw new IllegalStateException("extent " + e.getIndex() + " has no member besides its owner: " + e);
    }
    return cluster.chunkByCid(others.get(r.nextInt(others.size())));
  }

  int cidOf(ClusterNode chunk) {
    return cluster.listChunks().stream().filter(c -> cluster.byAddress(c.getAddress()).filter(n -> n == chunk)
        .isPresent()).findFirst().orElseThrow(() -> new IllegalStateException("no cid for " + chunk)).getCid();
  }

  /** Whether {@code cid} is no member of the stress volume's extent {@code index} any more. */
  boolean leftExtent(int index, int cid) {
    return cluster.extents(STRESS).stream().filter(e -> e.getIndex() == index)
        .noneMatch(e -> e.getReplicasList().contains(cid));
  }

  /** Kills every process and unmounts the small disk. Idempotent (also the shutdown hook). */
  @Override
  public synchronized void close() {
    cluster.close();
    if (smallDisk != null) {
      try {
        smallDisk.close();
      } catch (RuntimeException e) {
        System.err.println("tester: could not unmount the small disk: " + e.getMessage());
      }
    }
  }
}
