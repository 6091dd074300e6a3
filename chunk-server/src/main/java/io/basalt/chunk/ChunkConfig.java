package io.basalt.chunk;

import io.basalt.chunk.store.RocksStoreConfig;
import io.basalt.common.HostPort;
import io.basalt.session.SessionConfig;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Immutable settings of one chunk server process. Exactly one of {@code zk} (find the meta leader through
 * ZooKeeper, with {@code cluster}) or {@code meta} (a fixed meta address) is set. Build with {@link #of} and the
 * {@code withX} copies; defaults live here and match DESIGN.md "Defaults".
 *
 * @param zk ZooKeeper connect string, or null
 * @param cluster cluster name under {@code /basalt/} in ZooKeeper; also the cluster id fallback
 * @param meta fixed meta server address {@code host:port}, or null
 * @param dir data directory (one RocksDB)
 * @param listen RPC listen address; port 0 picks a free port
 * @param zone failure domain reported to meta
 * @param metricsPort Prometheus HTTP port on the listen host; 0 = ephemeral
 * @param syncEveryWrite sync the WAL on every applied write, not only on FUA/FLUSH
 * @param testMode enables test-only admin calls
 * @param sessions keepalive interval and session timeout of this chunk's session with the meta leader
 * @param reportInterval ReportReplicas period
 * @param replicateTimeout deadline of one Replicate call to a peer (DESIGN.md: replica write timeout 3 s)
 * @param peerBacklogBytes retained unacked replicate data per peer before new writes fail UNAVAILABLE
 * @param orderedThreads event loops of the data path: each extent's work runs on one of them, with the client and
 *     peer connections (default: one per two cores, since a node runs several chunk servers and the block client)
 * @param ioThreads threads for reads, WAL syncs and admin digests
 * @param advertise address registered with meta for peers and clients (null: the listen address); tests put a
 *     fault proxy in front of a chunk this way
 * @param genLogRetention generations per replica kept in the store's gen log: a member at most this far behind is
 *     caught up incrementally at a lease takeover, one further behind needs a full copy
 * @param recoveryBusyShare share (0, 1] of the recovery throttle that copies into this chunk use while it serves
 *     client I/O (any client read or write, or replicated write, in the last 100 ms): recovery yields to clients
 * @param diskReserveBytes usable space of the data directory's file system below which the chunk is full: it takes
 *     no new data, tells meta (no placement or recovery target) and gives written extents up (TESTPLAN F16)
 * @param quarantineRetention how long a quarantined replica's copy and evidence are kept before they are deleted
 *     (sooner only by {@code basalt quarantine rm})
 */
public record ChunkConfig(
    String zk, String cluster, String meta, Path dir, HostPort listen, String zone, int metricsPort,
    boolean syncEveryWrite, boolean testMode, SessionConfig sessions, Duration reportInterval,
    Duration replicateTimeout, long peerBacklogBytes, int orderedThreads, int ioThreads, HostPort advertise,
    long genLogRetention, double recoveryBusyShare, long diskReserveBytes, Duration quarantineRetention) {
  public static final long DEFAULT_DISK_RESERVE_BYTES = RocksStoreConfig.DEFAULT_DISK_RESERVE_BYTES;

  public static final String DEFAULT_CLUSTER = "local";
  public static final HostPort DEFAULT_LISTEN = new HostPort("127.0.0.1", 0);
  public static final Duration DEFAULT_REPORT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_REPLICATE_TIMEOUT = Duration.ofSeconds(3);
  public static final long DEFAULT_PEER_BACKLOG = 64L << 20;
  public static final long DEFAULT_GEN_LOG_RETENTION = 16384;
  /**
   * Share of the recovery throttle a copy uses while the chunk serves client I/O (20 MiB/s of the default 200 per
   * target chunk): on a 2-core node copying into three targets, copies at the full throttle left clients 38-45 % of
   * their healthy IOPS, at a quarter of it about two thirds; client I/O comes first.
   */
  public static final double DEFAULT_RECOVERY_BUSY_SHARE = 0.1;
  /** A week: time for an operator to look at the evidence before it goes. */
  public static final Duration DEFAULT_QUARANTINE_RETENTION = Duration.ofDays(7);

  public ChunkConfig {
    if ((zk == null) == (meta == null)) throw new IllegalArgumentException("exactly one of zk or meta must be set");
    if (meta != null) HostPort.parse(meta);
    if (cluster == null || cluster.isEmpty()) throw new IllegalArgumentException("cluster empty");
    if (dir == null) throw new IllegalArgumentException("dir missing");
    if (listen == null) throw new IllegalArgumentException("listen missing");
    if (zone == null || zone.isEmpty()) throw new IllegalArgumentException("zone empty");
    if (metricsPort < 0 || metricsPort > 65535) throw new IllegalArgumentException("bad metrics port " + metricsPort);
    if (sessions == null) throw new IllegalArgumentException("sessions missing");
    requirePositive("reportInterval", reportInterval);
    requirePositive("replicateTimeout", replicateTimeout);
    if (peerBacklogBytes <= 0) throw new IllegalArgumentException("peerBacklogBytes must be > 0");
    if (orderedThreads <= 0 || ioThreads <= 0) throw new IllegalArgumentException("thread counts must be > 0");
    if (genLogRetention <= 0) throw new IllegalArgumentException("genLogRetention must be > 0");
    if (!(recoveryBusyShare > 0 && recoveryBusyShare <= 1)) {
      throw new IllegalArgumentException("recoveryBusyShare must be in (0, 1]: " + recoveryBusyShare);
    }
    if (diskReserveBytes < 0) throw new IllegalArgumentException("diskReserveBytes must be >= 0: " + diskReserveBytes);
    requirePositive("quarantineRetention", quarantineRetention);
  }

  /** Defaults with a fixed meta address. */
  static int defaultLoops() {
    return Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
  }

  public static ChunkConfig of(Path dir, String metaAddress) {
    return of(dir, null, DEFAULT_CLUSTER, metaAddress);
  }

  /** Defaults; exactly one of {@code zk} (with {@code cluster}) or {@code metaAddress} non-null. */
  public static ChunkConfig of(Path dir, String zk, String cluster, String metaAddress) {
    return new ChunkConfig(zk, cluster, metaAddress, dir, DEFAULT_LISTEN, "default", 0, false, false,
        SessionConfig.defaults(), DEFAULT_REPORT, DEFAULT_REPLICATE_TIMEOUT, DEFAULT_PEER_BACKLOG,
        defaultLoops(), 4, null, DEFAULT_GEN_LOG_RETENTION, DEFAULT_RECOVERY_BUSY_SHARE, DEFAULT_DISK_RESERVE_BYTES,
        DEFAULT_QUARANTINE_RETENTION);
  }

  /** Finds meta through ZooKeeper instead of a fixed address. */
  public ChunkConfig withZk(String zkConnect, String clusterName) {
    return new ChunkConfig(zkConnect, clusterName, null, dir, listen, zone, metricsPort, syncEveryWrite, testMode,
        sessions, reportInterval, replicateTimeout, peerBacklogBytes, orderedThreads, ioThreads,
        advertise, genLogRetention, recoveryBusyShare, diskReserveBytes, quarantineRetention);
  }

  public ChunkConfig withListen(HostPort address) {
    return new ChunkConfig(zk, cluster, meta, dir, address, zone, metricsPort, syncEveryWrite, testMode,
        sessions, reportInterval, replicateTimeout, peerBacklogBytes, orderedThreads, ioThreads,
        advertise, genLogRetention, recoveryBusyShare, diskReserveBytes, quarantineRetention);
  }

  /** Registers {@code address} with meta instead of the listen address (a proxy or NAT in front of this chunk). */
  public ChunkConfig withAdvertise(HostPort address) {
    return new ChunkConfig(zk, cluster, meta, dir, listen, zone, metricsPort, syncEveryWrite, testMode,
        sessions, reportInterval, replicateTimeout, peerBacklogBytes, orderedThreads, ioThreads,
        address, genLogRetention, recoveryBusyShare, diskReserveBytes, quarantineRetention);
  }

  public ChunkConfig withZone(String z) {
    return new ChunkConfig(zk, cluster, meta, dir, listen, z, metricsPort, syncEveryWrite, testMode,
        sessions, reportInterval, replicateTimeout, peerBacklogBytes, orderedThreads, ioThreads,
        advertise, genLogRetention, recoveryBusyShare, diskReserveBytes, quarantineRetention);
  }

  public ChunkConfig withMetricsPort(int port) {
    return new ChunkConfig(zk, cluster, meta, dir, listen, zone, port, syncEveryWrite, testMode,
        sessions, reportInterval, replicateTimeout, peerBacklogBytes, orderedThreads, ioThreads,
        advertise, genLogRetention, recoveryBusyShare, diskReserveBytes, quarantineRetention);
  }

  public ChunkConfig withSyncEveryWrite(boolean sync) {
    return new ChunkConfig(zk, cluster, meta, dir, listen, zone, metricsPort, sync, testMode,
        sessions, reportInterval, replicateTimeout, peerBacklogBytes, orderedThreads, ioThreads,
        advertise, genLogRetention, recoveryBusyShare, diskReserveBytes, quarantineRetention);
  }

  public ChunkConfig withTestMode(boolean test) {
    return new ChunkConfig(zk, cluster, meta, dir, listen, zone, metricsPort, syncEveryWrite, test,
        sessions, reportInterval, replicateTimeout, peerBacklogBytes, orderedThreads, ioThreads,
        advertise, genLogRetention, recoveryBusyShare, diskReserveBytes, quarantineRetention);
  }

  /** Keepalive every {@code keepalive} (the session timeout stays, raised to twice that if needed). */
  public ChunkConfig withIntervals(Duration keepalive, Duration report) {
    Duration timeout = sessions.sessionTimeout().compareTo(keepalive.multipliedBy(2)) < 0
        ? keepalive.multipliedBy(2) : sessions.sessionTimeout();
    return new ChunkConfig(zk, cluster, meta, dir, listen, zone, metricsPort, syncEveryWrite, testMode,
        SessionConfig.of(keepalive, timeout), report, replicateTimeout, peerBacklogBytes, orderedThreads, ioThreads,
        advertise, genLogRetention,
        recoveryBusyShare, diskReserveBytes, quarantineRetention);
  }

  public ChunkConfig withSessions(SessionConfig s) {
    return new ChunkConfig(zk, cluster, meta, dir, listen, zone, metricsPort, syncEveryWrite, testMode,
        s, reportInterval, replicateTimeout, peerBacklogBytes, orderedThreads, ioThreads, advertise, genLogRetention,
        recoveryBusyShare, diskReserveBytes, quarantineRetention);
  }

  public ChunkConfig withReportInterval(Duration report) {
    return new ChunkConfig(zk, cluster, meta, dir, listen, zone, metricsPort, syncEveryWrite, testMode,
        sessions, report, replicateTimeout, peerBacklogBytes, orderedThreads, ioThreads, advertise, genLogRetention,
        recoveryBusyShare, diskReserveBytes, quarantineRetention);
  }

  public ChunkConfig withReplicateTimeout(Duration timeout) {
    return new ChunkConfig(zk, cluster, meta, dir, listen, zone, metricsPort, syncEveryWrite, testMode,
        sessions, reportInterval, timeout, peerBacklogBytes, orderedThreads, ioThreads, advertise, genLogRetention,
        recoveryBusyShare, diskReserveBytes, quarantineRetention);
  }

  public ChunkConfig withPeerBacklogBytes(long bytes) {
    return new ChunkConfig(zk, cluster, meta, dir, listen, zone, metricsPort, syncEveryWrite, testMode,
        sessions, reportInterval, replicateTimeout, bytes, orderedThreads, ioThreads, advertise, genLogRetention,
        recoveryBusyShare, diskReserveBytes, quarantineRetention);
  }

  public ChunkConfig withThreads(int ordered, int io) {
    return new ChunkConfig(zk, cluster, meta, dir, listen, zone, metricsPort, syncEveryWrite, testMode,
        sessions, reportInterval, replicateTimeout, peerBacklogBytes, ordered, io, advertise, genLogRetention,
        recoveryBusyShare, diskReserveBytes, quarantineRetention);
  }

  public ChunkConfig withGenLogRetention(long gens) {
    return new ChunkConfig(zk, cluster, meta, dir, listen, zone, metricsPort, syncEveryWrite, testMode,
        sessions, reportInterval, replicateTimeout, peerBacklogBytes, orderedThreads, ioThreads, advertise, gens,
        recoveryBusyShare, diskReserveBytes, quarantineRetention);
  }

  /** The share of the recovery throttle a copy uses while this chunk serves client I/O. */
  public ChunkConfig withRecoveryBusyShare(double share) {
    return new ChunkConfig(zk, cluster, meta, dir, listen, zone, metricsPort, syncEveryWrite, testMode,
        sessions, reportInterval, replicateTimeout, peerBacklogBytes, orderedThreads, ioThreads, advertise,
        genLogRetention, share, diskReserveBytes, quarantineRetention);
  }

  private static void requirePositive(String name, Duration d) {
    if (d == null || d.isZero() || d.isNegative()) throw new IllegalArgumentException(name + " must be > 0");
  }

  /** Full below this much usable space (TESTPLAN F16). */
  public ChunkConfig withDiskReserveBytes(long bytes) {
    return new ChunkConfig(zk, cluster, meta, dir, listen, zone, metricsPort, syncEveryWrite, testMode,
        sessions, reportInterval, replicateTimeout, peerBacklogBytes, orderedThreads, ioThreads, advertise,
        genLogRetention, recoveryBusyShare, bytes, quarantineRetention);
  }

  public ChunkConfig withQuarantineRetention(Duration retention) {
    return new ChunkConfig(zk, cluster, meta, dir, listen, zone, metricsPort, syncEveryWrite, testMode,
        sessions, reportInterval, replicateTimeout, peerBacklogBytes, orderedThreads, ioThreads, advertise,
        genLogRetention, recoveryBusyShare, diskReserveBytes, retention);
  }
}
