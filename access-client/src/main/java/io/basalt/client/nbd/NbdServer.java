package io.basalt.client.nbd;

import io.basalt.client.volume.VolumeProvider;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the volumes of a {@link VolumeProvider} over NBD (fixed newstyle, simple replies), one export per volume
 * name. Volumes are shared by all connections and owned by the provider: the server never closes them.
 *
 * <p>Lifecycle: {@link #start} once, {@link #close} once (idempotent). Uses epoll when available, NIO otherwise.
 */
public final class NbdServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NbdServer.class);
  /** Volume lookups per server at once; they are rare (one per handshake) but may block on the cluster. */
  private static final int LOOKUP_THREADS = 4;

  private final VolumeProvider volumes;
  private final NbdServerConfig config;
  private final NbdMetrics metrics;
  private final NbdReplyEncoder encoder = new NbdReplyEncoder();
  private final ChannelGroup connections = new DefaultChannelGroup("nbd-connections", GlobalEventExecutor.INSTANCE);
  private EventLoopGroup acceptGroup;
  private EventLoopGroup ioGroup;
  private final EventLoopGroup sharedIoGroup;
  private ThreadPoolExecutor lookups;
  private Channel serverChannel;
  private boolean started;
  private boolean closed;

  public NbdServer(VolumeProvider volumes, NbdServerConfig config) {
    this(volumes, config, null);
  }

  /**
   * Serves connections on {@code sharedIoGroup} (owned by the caller, not shut down here) when not null: sharing
   * it with the block client's RPC connections lets a request, its RPC and its reply run on one thread.
   */
  public NbdServer(VolumeProvider volumes, NbdServerConfig config, EventLoopGroup sharedIoGroup) {
    this.volumes = Objects.requireNonNull(volumes, "volumes");
    this.config = Objects.requireNonNull(config, "config");
    this.metrics = new NbdMetrics(config.metrics());
    this.sharedIoGroup = sharedIoGroup;
  }

  /**
   * Binds and starts accepting connections.
   *
   * @param bindHost address to listen on, e.g. "127.0.0.1" or "0.0.0.0"
   * @param port TCP port, 0 for an ephemeral one (10809 is NBD's registered port)
   * @return the port actually bound
   * @throws UncheckedIOException when the address cannot be bound
   */
  public synchronized int start(String bindHost, int port) {
    if (started) {
      throw new IllegalStateException("NBD server already started");
    }
    started = true;
    boolean epoll = Epoll.isAvailable();
    Class<? extends ServerChannel> channelType;
    if (epoll) {
      acceptGroup = new EpollEventLoopGroup(1, new DefaultThreadFactory("nbd-accept", true));
      ioGroup = sharedIoGroup != null ? sharedIoGroup
          : new EpollEventLoopGroup(config.ioThreads(), new DefaultThreadFactory("nbd-io", true));
      channelType = EpollServerSocketChannel.class;
    } else {
      acceptGroup = new NioEventLoopGroup(1, new DefaultThreadFactory("nbd-accept", true));
      ioGroup = sharedIoGroup != null ? sharedIoGroup
          : new NioEventLoopGroup(config.ioThreads(), new DefaultThreadFactory("nbd-io", true));
      channelType = NioServerSocketChannel.class;
    }
    lookups = new ThreadPoolExecutor(LOOKUP_THREADS, LOOKUP_THREADS, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), new DefaultThreadFactory("nbd-lookup", true));
    lookups.allowCoreThreadTimeOut(true);
    NbdVolumeResolver resolver = new NbdVolumeResolver(volumes, lookups, config.defaultExport());

    ServerBootstrap bootstrap = new ServerBootstrap()
        .group(acceptGroup, ioGroup)
        .channel(channelType)
        .childOption(ChannelOption.TCP_NODELAY, true) // replies are latency-bound; never wait for Nagle
        .childOption(ChannelOption.SO_KEEPALIVE, true)
        // Read sizes adapt up to 1 MiB (Netty's default stops at 64 KiB): a 1 MiB WRITE then arrives in a few
        // reads, each a component of its payload (no copy); small requests keep small reads.
        .childOption(ChannelOption.RCVBUF_ALLOCATOR,
            new AdaptiveRecvByteBufAllocator(512, 16 * 1024, 1 << 20))
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(512 << 10, 2 << 20))
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            connections.add(ch);
            // Pipelined replies completing in the same loop turn share one flush (one syscall): the transmission
            // handler writes them without flushing and flushes once after the turn.
            ch.pipeline()
                .addLast("nbd-encoder", encoder)
                .addLast("nbd-handshake", new NbdHandshakeHandler(resolver, config, metrics));
          }
        });
    ChannelFuture bind = bootstrap.bind(bindHost, port).awaitUninterruptibly();
    if (!bind.isSuccess()) {
      shutdownThreads();
      Throwable cause = bind.cause();
      String where = bindHost + ":" + port;
      throw cause instanceof IOException io ? new UncheckedIOException("cannot bind NBD server to " + where, io)
          : new IllegalStateException("cannot bind NBD server to " + where, cause);
    }
    serverChannel = bind.channel();
    metrics.registerConnections(connections::size);
    int boundPort = ((InetSocketAddress) serverChannel.localAddress()).getPort();
    LOG.info("NBD server listening on {}:{} ({})", bindHost, boundPort, epoll ? "epoll" : "nio");
    return boundPort;
  }

  /** Number of open client connections (handshake or transmission). */
  public int connectionCount() {
    return connections.size();
  }

  /**
   * Stops accepting, closes every connection (in-flight requests get no reply; clients see a hard disconnect) and
   * releases the threads.
   */
  @Override
  public synchronized void close() {
    if (closed || !started) {
      closed = true;
      return;
    }
    closed = true;
    if (serverChannel != null) {
      serverChannel.close().awaitUninterruptibly();
    }
    connections.close().awaitUninterruptibly();
    metrics.unregisterConnections();
    shutdownThreads();
    LOG.info("NBD server closed");
  }

  private void shutdownThreads() {
    acceptGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    if (sharedIoGroup == null) {
      ioGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    }
    lookups.shutdownNow();
    acceptGroup.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
    if (sharedIoGroup == null) {
      ioGroup.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
  }
}
