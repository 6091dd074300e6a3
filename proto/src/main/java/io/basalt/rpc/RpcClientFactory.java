package io.basalt.rpc;

import com.codahale.metrics.MetricRegistry;
import io.basalt.proto.ErrorCode;
import io.netty.channel.EventLoopGroup;
import io.netty.util.HashedWheelTimer;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Shared client transport of a process: one event loop group and one {@link RpcClient} (one connection) per
 * remote address, made on first use.
 */
public final class RpcClientFactory implements AutoCloseable {
  private final EventLoopGroup group;
  private final HashedWheelTimer timer;
  private final RpcMetrics metrics;
  private final FrameLimits limits;
  private final Duration connectTimeout;
  private final Duration idleClose;
  private final ConcurrentHashMap<String, RpcClient> clients = new ConcurrentHashMap<>();
  private volatile boolean closed;
  private final boolean ownsGroup;

  public RpcClientFactory(String name, MetricRegistry registry) {
    this(name, registry, 2, FrameLimits.DEFAULT, Duration.ofSeconds(3));
  }

  public RpcClientFactory(String name, MetricRegistry registry, int ioThreads, FrameLimits limits,
      Duration connectTimeout) {
    this(name, registry, ioThreads, limits, connectTimeout, RpcClient.DEFAULT_IDLE_CLOSE);
  }

  /** {@code idleClose}: a connection without traffic and nothing pending for this long is closed (reopened on use). */
  public RpcClientFactory(String name, MetricRegistry registry, int ioThreads, FrameLimits limits,
      Duration connectTimeout, Duration idleClose) {
    this(name, registry, NettyTransport.group(name + "-client", ioThreads), true, limits, connectTimeout, idleClose);
  }

  /**
   * Clients on a caller's event loops (not shut down by {@link #close}). A server that calls out from its own
   * event loop (the NBD server) shares its loops so a request and its RPC run on one thread without hand-offs.
   */
  public RpcClientFactory(String name, MetricRegistry registry, EventLoopGroup sharedGroup) {
    this(name, registry, sharedGroup, false, FrameLimits.DEFAULT, Duration.ofSeconds(3),
        RpcClient.DEFAULT_IDLE_CLOSE);
  }

  private RpcClientFactory(String name, MetricRegistry registry, EventLoopGroup group, boolean ownsGroup,
      FrameLimits limits, Duration connectTimeout, Duration idleClose) {
    this.group = group;
    this.ownsGroup = ownsGroup;
    // 10 ms ticks: deadlines are seconds long, and arming one costs a queue insert, not an event-loop wakeup
    this.timer = DeadlineTimer.get();
    this.metrics = new RpcMetrics(registry, "client_" + name);
    this.limits = limits;
    this.connectTimeout = connectTimeout;
    this.idleClose = idleClose;
  }

  /** The client for {@code address} ("host:port"); cheap, cached. */
  public RpcClient client(String address) {
    if (closed) {
      throw new BasaltException(ErrorCode.UNAVAILABLE, "rpc client factory closed", false);
    }
    return clients.computeIfAbsent(address, a -> new RpcClient(a, group, timer, metrics, limits, connectTimeout,
        idleClose));
  }

  @Override
  public void close() {
    closed = true;
    clients.values().forEach(RpcClient::close);
    clients.clear();
    if (ownsGroup) {
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }
}
