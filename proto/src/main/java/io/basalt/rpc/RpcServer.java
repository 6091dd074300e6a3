package io.basalt.rpc;

import com.codahale.metrics.MetricRegistry;
import io.basalt.common.HostPort;
import io.basalt.proto.Envelope;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Netty RPC server: frames in, handler by body case, replies out. Wiring only; see {@link RpcServerHandler}, and
 * {@link ConnectionLimits} for what one peer may hold (idle timeout, connection cap, requests in flight).
 */
public final class RpcServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RpcServer.class);

  private final String name;
  private final HostPort bind;
  private final Map<Envelope.BodyCase, RpcHandler> handlers;
  private final FrameLimits limits;
  private final ConnectionLimits connectionLimits;
  private final RpcMetrics metrics;
  private final ConnectionCap cap;
  private final int ioThreads;
  /** The caller's loops when given (not shut down here), else null: the server makes its own. */
  private final EventLoopGroup sharedWorkers;
  /** Null: replies carry only what handlers and errors put there. */
  private final ReplyStamp replyStamp;
  private EventLoopGroup boss;
  private EventLoopGroup workers;
  private Channel channel;

  private RpcServer(Builder b) {
    this.name = b.name;
    this.bind = new HostPort(b.host, b.port);
    this.handlers = new EnumMap<>(b.handlers);
    this.limits = b.limits;
    this.connectionLimits = b.connectionLimits;
    this.metrics = new RpcMetrics(b.metrics, "server_" + b.name);
    this.cap = new ConnectionCap(b.name, b.connectionLimits.maxConnections(), metrics);
    this.ioThreads = b.ioThreads;
    this.sharedWorkers = b.workers;
    this.replyStamp = b.replyStamp;
  }

  public static Builder builder(String name) {
    return new Builder(name);
  }

  public synchronized RpcServer start() {
    boss = NettyTransport.group(name + "-accept", 1);
    workers = sharedWorkers != null ? sharedWorkers : NettyTransport.group(name + "-io", ioThreads);
    ServerBootstrap sb = new ServerBootstrap()
        .group(boss, workers)
        .channel(NettyTransport.serverChannel())
        .option(ChannelOption.SO_REUSEADDR, true)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.SO_KEEPALIVE, true)
        // 1 MiB writes and replicate batches arrive in a few large reads rather than sixteen 64 KiB ones
        .childOption(ChannelOption.RCVBUF_ALLOCATOR, RpcClient.LARGE_READS)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline()
                .addLast("flush", new FlushConsolidationHandler(256, true))
                .addLast("encoder", FrameEncoder.INSTANCE)
                .addLast("cap", cap)
                // large frames gathered as a composite of the socket reads: a 1 MiB payload is never copied into a
                // growing buffer (handlers read payloads by index, so a composite is as good as one buffer)
                .addLast("decoder", new FrameDecoder(limits, metrics.refusedFrames(), true))
                // after the decoder: idle means no complete frame, so a byte-a-second trickle is idle too
                .addLast("idle", new IdleStateHandler(connectionLimits.idleTimeout().toNanos(), 0, 0,
                    TimeUnit.NANOSECONDS))
                .addLast("rpc", new RpcServerHandler(handlers, metrics, connectionLimits, replyStamp));
          }
        });
    try {
      channel = sb.bind(bind.host(), bind.port()).sync().channel();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new IllegalStateException("interrupted binding " + bind, e);
    } catch (Exception e) { // Netty rethrows the bind failure (a checked IOException) undeclared
      close();
      throw new IllegalStateException("cannot listen on " + bind + ": " + e.getMessage(), e);
    }
    log.info("rpc server {} listening on {} (epoll={}, idleTimeout={}, maxConnections={}, maxInFlightBytes={},"
        + " maxInFlightRequests={})", name, address(), NettyTransport.epoll(), connectionLimits.idleTimeout(),
        connectionLimits.maxConnections(), connectionLimits.maxInFlightBytes(), connectionLimits.maxInFlightRequests());
    return this;
  }

  public int port() {
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  public String address() {
    return bind.host() + ":" + port();
  }

  /** Connections open now, refused ones (above the cap, being closed) included. */
  public int connections() {
    return cap.open();
  }

  @Override
  public synchronized void close() {
    if (channel != null) {
      channel.close().syncUninterruptibly();
      channel = null;
    }
    if (boss != null) {
      boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
      if (workers != sharedWorkers) workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
      boss = null;
      workers = null;
    }
  }

  /** Builder; handlers are fixed at build time. */
  public static final class Builder {
    private final String name;
    private String host = "127.0.0.1";
    private int port;
    private final Map<Envelope.BodyCase, RpcHandler> handlers = new EnumMap<>(Envelope.BodyCase.class);
    private FrameLimits limits = FrameLimits.DEFAULT;
    private ConnectionLimits connectionLimits = ConnectionLimits.DEFAULT;
    private MetricRegistry metrics = new MetricRegistry();
    private int ioThreads = 2;
    private EventLoopGroup workers;
    private ReplyStamp replyStamp;

    private Builder(String name) {
      this.name = name;
    }

    public Builder bind(String host, int port) {
      this.host = host;
      this.port = port;
      return this;
    }

    public Builder handle(Envelope.BodyCase method, RpcHandler handler) {
      if (handlers.putIfAbsent(method, handler) != null) {
        throw new IllegalArgumentException("handler for " + method + " registered twice");
      }
      return this;
    }

    public Builder limits(FrameLimits limits) {
      this.limits = limits;
      return this;
    }

    public Builder connectionLimits(ConnectionLimits connectionLimits) {
      this.connectionLimits = connectionLimits;
      return this;
    }

    public Builder metrics(MetricRegistry metrics) {
      this.metrics = metrics;
      return this;
    }

    public Builder ioThreads(int ioThreads) {
      this.ioThreads = ioThreads;
      return this;
    }

    /**
     * Serve connections on the caller's event loops (the chunk server runs each extent's work on them, so a request
     * read on its extent's loop runs to completion there); the caller shuts them down after {@link #close}.
     */
    public Builder workers(EventLoopGroup workers) {
      this.workers = workers;
      return this;
    }

    /** Stamps every reply header, OK and error (the meta server's epoch); see {@link ReplyStamp}. */
    public Builder replyStamp(ReplyStamp replyStamp) {
      this.replyStamp = replyStamp;
      return this;
    }

    public RpcServer build() {
      return new RpcServer(this);
    }
  }
}
