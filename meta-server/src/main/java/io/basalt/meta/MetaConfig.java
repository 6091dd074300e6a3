package io.basalt.meta;

import io.basalt.meta.scrub.ScrubConfig;
import io.basalt.session.SessionConfig;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Settings of one meta server; immutable, validated here, logged once at start. Defaults match DESIGN.md.
 *
 * @param zkConnect ZooKeeper connection string (host:port[,host:port...])
 * @param listenHost RPC listen host; also the host of the advertised address
 * @param listenPort RPC port, 0 = pick a free one
 * @param cluster cluster name: the ZooKeeper root is /basalt/&lt;cluster&gt;
 * @param metricsPort Prometheus HTTP port: -1 = off, 0 = pick
 * @param chunkLiveness a chunk heard from within this window may receive new replicas
 * @param zkSessionTimeout ZooKeeper session timeout asked for (LOST after it: the leader steps down); what the
 *     servers negotiate must let a failover finish within the chunk leases
 *     ({@link io.basalt.meta.election.ZkTimeoutRule})
 * @param zkConnectionTimeout Curator connection timeout
 * @param sessions keepalive interval, session timeout and the mass-expiry guard's share
 * @param recoveryInterval how often the leader assigns recovery targets; zero = never on its own (tests run passes)
 * @param strictZkTimeout refuse to join the election when the negotiated ZooKeeper session timeout is unsafe
 *     ({@code basalt-meta} does; embedded cores in tests only log it)
 * @param scrub scrub periods and timing (null = {@link ScrubConfig#defaults()})
 * @param recoveryReturnWait how long recovery gives a member removed by ReplicaFailed to return (a restarted chunk
 *     catches its own copy up instead of another chunk copying the whole extent, TESTPLAN F03); zero = never wait;
 *     null = one session timeout (see {@link #returnWait()}): by then a chunk that did not return has expired anyway
 */
public record MetaConfig(String zkConnect, String listenHost, int listenPort, String cluster, int metricsPort,
    Duration chunkLiveness, Duration zkSessionTimeout, Duration zkConnectionTimeout, SessionConfig sessions,
    Duration recoveryInterval, boolean strictZkTimeout, ScrubConfig scrub, Duration recoveryReturnWait) {
  public static final String DEFAULT_CLUSTER = "local";
  public static final Duration DEFAULT_RECOVERY_INTERVAL = Duration.ofMillis(250);
  public static final Duration DEFAULT_CHUNK_LIVENESS = Duration.ofSeconds(10);
  /** Two fifths of the default session timeout ({@link io.basalt.meta.election.ZkTimeoutRule#defaultZkTimeout}). */
  public static final Duration DEFAULT_ZK_SESSION_TIMEOUT = Duration.ofSeconds(4);
  public static final Duration DEFAULT_ZK_CONNECTION_TIMEOUT = Duration.ofSeconds(5);
  private static final Pattern CLUSTER = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  public MetaConfig {
    Objects.requireNonNull(zkConnect, "zkConnect");
    Objects.requireNonNull(listenHost, "listenHost");
    if (zkConnect.isBlank()) {
      throw new IllegalArgumentException("zk connection string is empty");
    }
    if (listenPort < 0 || listenPort > 65535) {
      throw new IllegalArgumentException("listen port " + listenPort + " out of range 0..65535");
    }
    if (metricsPort < -1 || metricsPort > 65535) {
      throw new IllegalArgumentException("metrics port " + metricsPort + " out of range -1..65535");
    }
    if (cluster == null || !CLUSTER.matcher(cluster).matches()) {
      throw new IllegalArgumentException("cluster \"" + cluster + "\" is invalid: must match " + CLUSTER);
    }
    positive(chunkLiveness, "chunk liveness");
    positive(zkSessionTimeout, "zk session timeout");
    positive(zkConnectionTimeout, "zk connection timeout");
    Objects.requireNonNull(sessions, "sessions");
    if (recoveryInterval == null || recoveryInterval.isNegative()) {
      throw new IllegalArgumentException("recovery interval must be >= 0, got " + recoveryInterval);
    }
    scrub = scrub == null ? ScrubConfig.defaults() : scrub;
    if (recoveryReturnWait != null && recoveryReturnWait.isNegative()) {
      throw new IllegalArgumentException("recovery return wait must be >= 0, got " + recoveryReturnWait);
    }
  }

  /** With the default recovery return wait (one session timeout). */
  public MetaConfig(String zkConnect, String listenHost, int listenPort, String cluster, int metricsPort,
      Duration chunkLiveness, Duration zkSessionTimeout, Duration zkConnectionTimeout, SessionConfig sessions,
      Duration recoveryInterval, boolean strictZkTimeout, ScrubConfig scrub) {
    this(zkConnect, listenHost, listenPort, cluster, metricsPort, chunkLiveness, zkSessionTimeout,
        zkConnectionTimeout, sessions, recoveryInterval, strictZkTimeout, scrub, null);
  }

  /**
   * The recovery return wait in force: {@code recoveryReturnWait}, or the session timeout when not set (kept unset
   * rather than resolved, so that {@link #withSessions} moves the default along with the timeout).
   */
  public Duration returnWait() {
    return recoveryReturnWait != null ? recoveryReturnWait : sessions.sessionTimeout();
  }

  /** With the default scrub settings. */
  public MetaConfig(String zkConnect, String listenHost, int listenPort, String cluster, int metricsPort,
      Duration chunkLiveness, Duration zkSessionTimeout, Duration zkConnectionTimeout, SessionConfig sessions,
      Duration recoveryInterval, boolean strictZkTimeout) {
    this(zkConnect, listenHost, listenPort, cluster, metricsPort, chunkLiveness, zkSessionTimeout,
        zkConnectionTimeout, sessions, recoveryInterval, strictZkTimeout, null);
  }

  /** With the default recovery interval. */
  public MetaConfig(String zkConnect, String listenHost, int listenPort, String cluster, int metricsPort,
      Duration chunkLiveness, Duration zkSessionTimeout, Duration zkConnectionTimeout, SessionConfig sessions) {
    this(zkConnect, listenHost, listenPort, cluster, metricsPort, chunkLiveness, zkSessionTimeout,
        zkConnectionTimeout, sessions, DEFAULT_RECOVERY_INTERVAL);
  }

  /** Not strict about the ZooKeeper session timeout. */
  public MetaConfig(String zkConnect, String listenHost, int listenPort, String cluster, int metricsPort,
      Duration chunkLiveness, Duration zkSessionTimeout, Duration zkConnectionTimeout, SessionConfig sessions,
      Duration recoveryInterval) {
    this(zkConnect, listenHost, listenPort, cluster, metricsPort, chunkLiveness, zkSessionTimeout,
        zkConnectionTimeout, sessions, recoveryInterval, false);
  }

  /** Defaults for everything but the ZooKeeper address: 127.0.0.1:7000, cluster "local", metrics off. */
  public static MetaConfig defaults(String zkConnect) {
    return new MetaConfig(zkConnect, "127.0.0.1", 7000, DEFAULT_CLUSTER, -1, DEFAULT_CHUNK_LIVENESS,
        DEFAULT_ZK_SESSION_TIMEOUT, DEFAULT_ZK_CONNECTION_TIMEOUT, SessionConfig.defaults());
  }

  public MetaConfig withListen(String host, int port) {
    return new MetaConfig(zkConnect, host, port, cluster, metricsPort, chunkLiveness, zkSessionTimeout,
        zkConnectionTimeout, sessions, recoveryInterval, strictZkTimeout, scrub, recoveryReturnWait);
  }

  public MetaConfig withCluster(String name) {
    return new MetaConfig(zkConnect, listenHost, listenPort, name, metricsPort, chunkLiveness, zkSessionTimeout,
        zkConnectionTimeout, sessions, recoveryInterval, strictZkTimeout, scrub, recoveryReturnWait);
  }

  public MetaConfig withMetricsPort(int port) {
    return new MetaConfig(zkConnect, listenHost, listenPort, cluster, port, chunkLiveness, zkSessionTimeout,
        zkConnectionTimeout, sessions, recoveryInterval, strictZkTimeout, scrub, recoveryReturnWait);
  }

  public MetaConfig withChunkLiveness(Duration window) {
    return new MetaConfig(zkConnect, listenHost, listenPort, cluster, metricsPort, window, zkSessionTimeout,
        zkConnectionTimeout, sessions, recoveryInterval, strictZkTimeout, scrub, recoveryReturnWait);
  }

  public MetaConfig withZkSessionTimeout(Duration timeout) {
    return new MetaConfig(zkConnect, listenHost, listenPort, cluster, metricsPort, chunkLiveness, timeout,
        zkConnectionTimeout, sessions, recoveryInterval, strictZkTimeout, scrub, recoveryReturnWait);
  }

  public MetaConfig withSessions(SessionConfig s) {
    return new MetaConfig(zkConnect, listenHost, listenPort, cluster, metricsPort, chunkLiveness, zkSessionTimeout,
        zkConnectionTimeout, s, recoveryInterval, strictZkTimeout, scrub, recoveryReturnWait);
  }

  public MetaConfig withRecoveryInterval(Duration interval) {
    return new MetaConfig(zkConnect, listenHost, listenPort, cluster, metricsPort, chunkLiveness, zkSessionTimeout,
        zkConnectionTimeout, sessions, interval, strictZkTimeout, scrub, recoveryReturnWait);
  }

  public MetaConfig withStrictZkTimeout(boolean strict) {
    return new MetaConfig(zkConnect, listenHost, listenPort, cluster, metricsPort, chunkLiveness, zkSessionTimeout,
        zkConnectionTimeout, sessions, recoveryInterval, strict, scrub, recoveryReturnWait);
  }

  public MetaConfig withScrub(ScrubConfig s) {
    return new MetaConfig(zkConnect, listenHost, listenPort, cluster, metricsPort, chunkLiveness, zkSessionTimeout,
        zkConnectionTimeout, sessions, recoveryInterval, strictZkTimeout, s, recoveryReturnWait);
  }

  public MetaConfig withRecoveryReturnWait(Duration wait) {
    return new MetaConfig(zkConnect, listenHost, listenPort, cluster, metricsPort, chunkLiveness, zkSessionTimeout,
        zkConnectionTimeout, sessions, recoveryInterval, strictZkTimeout, scrub, wait);
  }

  private static void positive(Duration d, String what) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be > 0, got " + d);
    }
  }
}
