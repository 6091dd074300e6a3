package io.basalt.it.faults;

import io.basalt.common.HostPort;
import io.basalt.rpc.NettyTransport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One proxied connection: the accepted client channel (frontend), the channel to the target (backend, connected
 * on the frontend's event loop so that both relays run on one thread without locks) and the two {@link Relay}s.
 * Both channels have auto-read off; the relays decide when to read. Closing either side closes the other once the
 * bytes queued towards it are flushed, except while blackholed (a partition does not carry FINs).
 */
final class ProxyConnection {
  private static final Logger log = LoggerFactory.getLogger(ProxyConnection.class);
  private static final AtomicLong IDS = new AtomicLong();
  private static final int CONNECT_TIMEOUT_MS = 3000;

  private final FaultProxy proxy;
  private final Channel frontend;
  private final long id = IDS.incrementAndGet();
  private volatile Channel backend;
  private Relay clientToServer;
  private Relay serverToClient;
  private boolean gapClosed;

  ProxyConnection(FaultProxy proxy, Channel frontend) {
    this.proxy = proxy;
    this.frontend = frontend;
  }

  /** Connects the backend; reading starts once it is up. Runs on the frontend's event loop. */
  void start(HostPort target) {
    frontend.pipeline().addLast("fault-relay", new Endpoint(Direction.CLIENT_TO_SERVER));
    frontend.closeFuture().addListener(f -> onChannelClosed());
    ChannelFuture connect = new Bootstrap()
        .group(frontend.eventLoop())
        .channel(NettyTransport.clientChannel())
        .option(ChannelOption.AUTO_READ, false)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MS)
        .handler(new Endpoint(Direction.SERVER_TO_CLIENT))
        .connect(target.host(), target.port());
    backend = connect.channel();
    backend.closeFuture().addListener(f -> onChannelClosed());
    connect.addListener(done -> {
      if (!done.isSuccess()) {
        log.debug("fault proxy {}: connection {} cannot reach {}: {}", proxy.name(), id, target,
            done.cause().toString());
        frontend.close();
        return;
      }
      if (!frontend.isActive()) {
        backend.close();
        return;
      }
      clientToServer = new Relay(proxy, this, Direction.CLIENT_TO_SERVER, frontend, backend);
      serverToClient = new Relay(proxy, this, Direction.SERVER_TO_CLIENT, backend, frontend);
      clientToServer.maybeRead();
      serverToClient.maybeRead();
    });
  }

  /** Re-evaluates both relays after a mode change (drop queued bytes, close gapped streams, resume reading). */
  void kick() {
    try {
      frontend.eventLoop().execute(() -> {
        if (clientToServer != null) {
          clientToServer.drain();
          serverToClient.drain();
        }
      });
    } catch (RejectedExecutionException e) {
      // the proxy is closing: nothing left to re-evaluate
    }
  }

  /** Forwards every byte held by latency now, in order. Any thread. */
  void expedite() {
    try {
      frontend.eventLoop().execute(() -> {
        if (clientToServer != null) {
          clientToServer.expedite();
          serverToClient.expedite();
        }
      });
    } catch (RejectedExecutionException e) {
      // the proxy is closing: nothing left to forward
    }
  }

  /** Closes both sides now, discarding queued bytes. Any thread. */
  void close() {
    frontend.close();
    Channel b = backend;
    if (b != null) {
      b.close();
    }
  }

  /** A relay found its direction forwarding again after dropping bytes: the stream has a hole, so end it. */
  void closeGapped(Direction direction) {
    if (gapClosed) {
      return;
    }
    gapClosed = true;
    log.info("fault proxy {}: closing connection {}, its {} stream lost bytes", proxy.name(), id, direction);
    close();
  }

  private void onChannelClosed() {
    Channel b = backend;
    if (frontend.isOpen() || (b != null && b.isOpen())) {
      return;
    }
    if (clientToServer != null) {
      clientToServer.releaseAll();
      serverToClient.releaseAll();
    }
    proxy.removed(this);
  }

  private Relay relay(Direction direction) {
    return direction == Direction.CLIENT_TO_SERVER ? clientToServer : serverToClient;
  }

  /** The client's host (address without port), for {@link FaultProxy#blackholeFrom}. */
  String clientHost() {
    return frontend.remoteAddress() instanceof java.net.InetSocketAddress a ? a.getAddress().getHostAddress() : "";
  }

  @Override
  public String toString() {
    return "connection " + id + " " + frontend.remoteAddress() + " -> " + (backend == null ? "?" : backend.remoteAddress());
  }

  /** Pipeline end of one channel: feeds its reads to the outgoing relay, its writability to the incoming one. */
  private final class Endpoint extends ChannelInboundHandlerAdapter {
    private final Direction out;

    Endpoint(Direction out) {
      this.out = out;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      Relay r = relay(out);
      if (r == null || !(msg instanceof ByteBuf buf)) {
        ReferenceCountUtil.release(msg);
        return;
      }
      r.onRead(buf);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      Relay r = relay(out);
      if (r != null) {
        r.maybeRead();
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      Relay in = relay(out.reverse());
      if (in != null) {
        in.drain();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      Relay r = relay(out);
      if (r != null) {
        r.onSourceClosed();
        relay(out.reverse()).drain();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      log.debug("fault proxy {}: {} failed: {}", proxy.name(), ProxyConnection.this, cause.toString());
      ctx.close();
    }
  }
}
