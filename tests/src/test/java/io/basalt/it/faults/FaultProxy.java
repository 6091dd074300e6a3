package io.basalt.it.faults;

import io.basalt.common.HostPort;
import io.basalt.rpc.NettyTransport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP proxy that injects network faults on one path of a test cluster (chunk to chunk data channel, client to
 * chunk, chunk to meta). Servers are given {@link #address()} instead of the target's address; the test then
 * switches faults on and off while the cluster runs. It exists because latency, jitter and bandwidth limits are
 * needed without root (no netem), and because a fault case must prove its fault took effect: {@link #stats()}
 * counts connections and bytes forwarded or dropped per direction.
 *
 * <p>Faults combine: latency and bandwidth apply together, one-way loss and blackhole discard bytes before either,
 * blackhole overrides every forwarding setting, and {@link #dropNewConnections()} affects only connections accepted
 * later. {@link #pass()} clears every fault. Bytes discarded mid-stream leave a gap, which TCP never delivers; so a
 * connection that lost bytes is closed as soon as that direction forwards again (see {@link Relay}). Mode switches
 * are thread-safe and apply to the next chunk of every connection; blackhole and loss also discard bytes already
 * held by latency or the throttle, while a new latency applies only to bytes read after the change.
 *
 * <p>Limits: a connection is accepted before the target is dialled, so a target that is down shows as accept then
 * close (not "connection refused"); new connections are dialled even while blackholed (the target sees an idle
 * connection); a half-close (FIN) from either side closes the whole connection once queued bytes are flushed.
 *
 * <p>Netty, modelled on the HexDumpProxy example: one event loop thread per proxy, auto-read off, the backend
 * connected on the frontend's loop, buffers passed through without copies, TCP backpressure kept end to end.
 */
public final class FaultProxy implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FaultProxy.class);

  private final String name;
  private final Supplier<HostPort> target;
  private final EventLoopGroup group;
  private final Channel server;
  private final String address;
  private final Set<ProxyConnection> connections = ConcurrentHashMap.newKeySet();
  private final LongAdder accepted = new LongAdder();
  private final LongAdder refused = new LongAdder();
  private final LongAdder cut = new LongAdder();
  private final LongAdder[] forwarded = {new LongAdder(), new LongAdder()};
  private final LongAdder[] dropped = {new LongAdder(), new LongAdder()};
  private volatile TokenBucket[] buckets = new TokenBucket[2];
  private volatile Faults faults = Faults.PASS;
  /** Client hosts whose connections are blackholed whatever the mode (a partition of some peers only). */
  private volatile Set<String> blackholedSources = Set.of();
  private volatile boolean closed;

  private FaultProxy(String name, InetSocketAddress listen, Supplier<HostPort> target) {
    this.name = name;
    this.target = target;
    this.group = NettyTransport.group("faultproxy-" + name, 1);
    try {
      this.server = new ServerBootstrap()
          .group(group)
          .channel(NettyTransport.serverChannel())
          .option(ChannelOption.SO_REUSEADDR, true)
          .childOption(ChannelOption.AUTO_READ, false)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childHandler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
              accept(ch);
            }
          })
          .bind(listen).syncUninterruptibly().channel();
    } catch (RuntimeException e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw new IllegalStateException("fault proxy " + name + " cannot listen on " + listen + ": " + e, e);
    }
    InetSocketAddress bound = (InetSocketAddress) server.localAddress();
    this.address = bound.getHostString() + ":" + bound.getPort();
  }

  /**
   * Starts a proxy in pass mode.
   *
   * @param name shown in logs and thread names, e.g. {@code "chunk1->chunk2"}
   * @param listen local address to listen on; port 0 picks a free port
   * @param target where accepted connections are forwarded
   */
  public static FaultProxy start(String name, InetSocketAddress listen, HostPort target) {
    Objects.requireNonNull(target, "target");
    return start(name, listen, () -> target);
  }

  /**
   * Starts a proxy in pass mode whose target is looked up for every new connection (e.g. the current meta leader),
   * so that it follows a target that moves. {@code target} runs on the proxy's event loop: keep it quick.
   */
  public static FaultProxy start(String name, InetSocketAddress listen, Supplier<HostPort> target) {
    Objects.requireNonNull(name, "name");
    FaultProxy proxy = new FaultProxy(name, Objects.requireNonNull(listen, "listen"),
        Objects.requireNonNull(target, "target"));
    log.info("fault proxy {} listening on {} -> {} (epoll={})", name, proxy.address, proxy.target(),
        NettyTransport.epoll());
    return proxy;
  }

  /** The address the proxy listens on, as "host:port": give this to servers instead of the target's. */
  public String address() {
    return address;
  }

  /** The address new connections are forwarded to now. */
  public HostPort target() {
    return target.get();
  }

  public String name() {
    return name;
  }

  /** Clears every fault: forward everything at once. Connections that lost bytes are closed (stream gap). */
  public FaultProxy pass() {
    blackholedSources = Set.of();
    return update("pass", f -> Faults.PASS);
  }

  /**
   * Blackholes (both directions, as {@link #blackhole()}) the connections whose client is one of {@code hosts}, and
   * only those: cuts some peers of the target while others (its block clients, say) still reach it. Cleared by
   * {@link #pass()}.
   */
  public FaultProxy blackholeFrom(Collection<String> hosts) {
    blackholedSources = Set.copyOf(hosts);
    return update("blackholeFrom " + hosts, f -> f);
  }

  /** The faults that apply to {@code connection}: the mode, blackholed when its client is a blackholed source. */
  Faults faultsFor(ProxyConnection connection) {
    Faults f = faults;
    Set<String> sources = blackholedSources;
    return !sources.isEmpty() && sources.contains(connection.clientHost()) ? f.withBlackhole(true) : f;
  }

  /**
   * Forwards every byte still held by an earlier latency now, in order, whatever the current mode: a test that
   * holds a message in transit with a long latency releases it at the moment it chooses instead of racing a timer.
   */
  public FaultProxy releaseHeld() {
    log.info("fault proxy {}: releasing bytes held by latency (mode {})", name, faults);
    connections.forEach(ProxyConnection::expedite);
    return this;
  }

  /** Accepts new connections and closes them at once; existing connections keep working. */
  public FaultProxy dropNewConnections() {
    return update("dropNewConnections", f -> f.withDropNew(true));
  }

  /** Closes every existing connection, both sides, once. New connections are subject to the current mode. */
  public FaultProxy cutExisting() {
    List<ProxyConnection> victims = List.copyOf(connections);
    victims.forEach(ProxyConnection::close);
    cut.add(victims.size());
    log.info("fault proxy {}: cut {} existing connections (mode {})", name, victims.size(), faults);
    return this;
  }

  /** Reads and discards both directions, never closes: calls through the proxy hang until their deadline. */
  public FaultProxy blackhole() {
    return update("blackhole", f -> f.withBlackhole(true));
  }

  /** Silently discards bytes going {@code direction} (replacing any earlier one-way loss); the other way works. */
  public FaultProxy oneWayLoss(Direction direction) {
    Objects.requireNonNull(direction, "direction");
    return update("oneWayLoss", f -> f.withLoss(direction));
  }

  /** Delays every chunk by {@code base ± jitter} (uniform, at least 0), per direction, preserving byte order. */
  public FaultProxy latency(Duration base, Duration jitter) {
    return update("latency", f -> f.withLatency(base, jitter, null));
  }

  /** As {@link #latency(Duration, Duration)}, in {@code direction} only (the other one passes at once). */
  public FaultProxy latency(Direction direction, Duration base, Duration jitter) {
    return update("latency " + direction, f -> f.withLatency(base, jitter, direction));
  }

  /** Limits each direction to {@code bytesPerSecond}, shared by all connections of this proxy; 0 = unlimited. */
  public FaultProxy bandwidth(long bytesPerSecond) {
    return update("bandwidth", f -> f.withBandwidth(bytesPerSecond));
  }

  /** The current fault configuration. */
  public Faults faults() {
    return faults;
  }

  /** Counters and current mode, for asserting that a fault took effect. */
  public ProxyStats stats() {
    return new ProxyStats(faults, accepted.sum(), refused.sum(), cut.sum(), connections.size(),
        forwarded[0].sum(), forwarded[1].sum(), dropped[0].sum(), dropped[1].sum());
  }

  /** Closes the listener and every connection, releasing all held buffers. Idempotent. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    server.close().syncUninterruptibly();
    connections.forEach(ProxyConnection::close);
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    log.info("fault proxy {} closed: {}", name, stats());
  }

  @Override
  public String toString() {
    return "FaultProxy[" + name + " " + address + " -> " + target() + ", " + faults + "]";
  }

  private synchronized FaultProxy update(String action, UnaryOperator<Faults> change) {
    Faults before = faults;
    Faults after = change.apply(before);
    long rate = after.bytesPerSecond();
    if (rate != before.bytesPerSecond()) {
      buckets = rate == 0 ? new TokenBucket[2] : new TokenBucket[] {new TokenBucket(rate), new TokenBucket(rate)};
    }
    faults = after;
    if (closed) {
      return this;
    }
    log.info("fault proxy {} ({} -> {}): {}: {} -> {}", name, address, target(), action, before, after);
    connections.forEach(ProxyConnection::kick);
    return this;
  }

  // ---- used by the connections, on their event loop ----

  TokenBucket bucket(Direction direction) {
    return buckets[direction.ordinal()];
  }

  void forwarded(Direction direction, long bytes) {
    forwarded[direction.ordinal()].add(bytes);
  }

  void dropped(Direction direction, long bytes) {
    dropped[direction.ordinal()].add(bytes);
  }

  void removed(ProxyConnection connection) {
    connections.remove(connection);
  }

  private void accept(Channel ch) {
    accepted.increment();
    if (closed) {
      ch.close();
      return;
    }
    if (faults.dropNew()) {
      refused.increment();
      log.debug("fault proxy {}: refusing connection from {}", name, ch.remoteAddress());
      ch.close();
      return;
    }
    ProxyConnection connection = new ProxyConnection(this, ch);
    connections.add(connection);
    connection.start(target.get());
  }
}
