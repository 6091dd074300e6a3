package io.basalt.rpc;

import io.basalt.common.HostPort;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.rpc.codec.FrameDecoder;
import io.basalt.rpc.codec.FrameEncoder;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.Timeout;
import io.netty.util.Timer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection to one server, reconnected on demand. Calls are pipelined and matched to replies by request id;
 * each has a deadline after which it fails with TIMEOUT (in doubt). Losing the connection fails every pending
 * call with UNAVAILABLE. Thread-safe.
 *
 * <p>Idle connections: the client closes its connection after {@code idleClose} without traffic and nothing
 * pending, shorter than the server's idle timeout ({@link ConnectionLimits#idleTimeout}), so a server never closes
 * a connection under a request that is on its way. A call that finds its connection closed before anything was
 * sent on it (this idle close, or a server's) reconnects once instead of failing: nothing reached the server, so
 * the retry cannot duplicate a request.
 */
public final class RpcClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RpcClient.class);
  private static final AtomicLong NEXT_ID = new AtomicLong(1);
  /** Four minutes: below the server's default idle timeout of five. */
  public static final Duration DEFAULT_IDLE_CLOSE = Duration.ofMinutes(4);

  private final String address;
  private final Bootstrap bootstrap;
  private final RpcMetrics metrics;
  private final Timer timer;
  private final ConcurrentHashMap<Long, Pending> pending = new ConcurrentHashMap<>();
  private ChannelFuture connection;
  private volatile boolean closed;

  RpcClient(String address, EventLoopGroup group, Timer timer, RpcMetrics metrics, FrameLimits limits,
      Duration connectTimeout, Duration idleClose) {
    this.address = address;
    this.timer = timer;
    this.metrics = metrics;
    HostPort hp = HostPort.parse(address);
    this.bootstrap = new Bootstrap()
        .group(group)
        .channel(NettyTransport.clientChannel())
        .remoteAddress(hp.host(), hp.port())
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.SO_KEEPALIVE, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline()
                .addLast("encoder", FrameEncoder.INSTANCE)
                .addLast("decoder", new FrameDecoder(limits))
                .addLast("idle", new IdleStateHandler(0, 0, idleClose.toNanos(), TimeUnit.NANOSECONDS))
                .addLast("replies", new ReplyHandler());
          }
        });
  }

  public String address() {
    return address;
  }

  /** A call without payload whose reply payload, if any, is dropped. */
  public CompletableFuture<Envelope> call(Envelope.Builder request, Duration deadline) {
    return call(request, null, deadline).thenApply(f -> {
      f.release();
      return f.header();
    });
  }

  /**
   * Sends {@code request} (ownership of {@code data}, which may be null, passes to the client) and completes with
   * the reply frame, which the caller must release. Error replies complete exceptionally with the mapped
   * {@link BasaltException}.
   */
  public CompletableFuture<Frame> call(Envelope.Builder request, ByteBuf data, Duration deadline) {
    long id = NEXT_ID.getAndIncrement();
    Envelope.BodyCase method = request.getBodyCase();
    long deadlineMs = Math.max(1, deadline.toMillis());
    Envelope header = request.setRequestId(id).setDeadlineMs((int) Math.min(Integer.MAX_VALUE, deadlineMs)).build();
    Pending p = new Pending(method, System.nanoTime(), deadlineMs);
    if (closed) {
      release(data);
      return CompletableFuture.failedFuture(unavailable("client closed"));
    }
    pending.put(id, p);
    send(id, p, header, data, true);
    return p.future;
  }

  /** Sends on the current connection; one that closed before this call went out on it is replaced once. */
  private void send(long id, Pending p, Envelope header, ByteBuf data, boolean mayReconnect) {
    ChannelFuture cf = channel();
    cf.addListener(done -> {
      if (!done.isSuccess()) {
        release(data);
        fail(id, unavailable("cannot connect: " + done.cause()));
        return;
      }
      Channel ch = cf.channel();
      if (!ch.isActive()) {
        if (mayReconnect && pending.containsKey(id)) {
          send(id, p, header, data, false); // closed (idle) before we sent anything: nothing to duplicate
          return;
        }
        release(data);
        fail(id, unavailable("connection closed"));
        return;
      }
      p.channel = ch;
      // The deadline rides on a shared wheel timer, not the event loop: arming it from a caller thread then costs
      // no event-loop wakeup, and the write below is the only cross-thread hand-off of the call.
      p.timeout = timer.newTimeout(t -> fail(id, new BasaltException(ErrorCode.TIMEOUT,
          p.method + " to " + address + " got no reply within " + p.deadlineMs + " ms", true)), p.deadlineMs,
          TimeUnit.MILLISECONDS);
      ch.writeAndFlush(new Frame(header, data)).addListener(w -> {
        if (!w.isSuccess()) {
          fail(id, unavailable("send failed: " + w.cause()));
        }
      });
    });
  }

  private synchronized ChannelFuture channel() {
    if (connection == null || (connection.isDone() && (!connection.isSuccess() || !connection.channel().isActive()))) {
      connection = bootstrap.connect();
      ChannelFuture mine = connection;
      mine.addListener(f -> {
        if (f.isSuccess()) {
          mine.channel().closeFuture().addListener(c -> failAllOn(mine.channel()));
        }
      });
    }
    return connection;
  }

  private void failAllOn(Channel ch) {
    for (Long id : pending.keySet()) {
      Pending p = pending.get(id);
      if (p != null && p.channel == ch) {
        fail(id, unavailable("connection to " + address + " closed"));
      }
    }
  }

  private boolean hasPendingOn(Channel ch) {
    for (Pending p : pending.values()) {
      if (p.channel == ch) {
        return true;
      }
    }
    return false;
  }

  private BasaltException unavailable(String why) {
    return new BasaltException(ErrorCode.UNAVAILABLE, why + " (" + address + ")", true);
  }

  private void fail(long id, Throwable error) {
    Pending p = pending.remove(id);
    if (p != null) {
      p.cancelTimeout();
      metrics.record(p.method, System.nanoTime() - p.startNanos, false);
      p.future.completeExceptionally(error);
    }
  }

  private static void release(ByteBuf data) {
    if (data != null && data.refCnt() > 0) {
      data.release();
    }
  }

  @Override
  public void close() {
    closed = true;
    ChannelFuture c;
    synchronized (this) {
      c = connection;
    }
    if (c != null) {
      c.channel().close();
    }
    for (Long id : pending.keySet()) {
      fail(id, unavailable("client closed"));
    }
  }

  private static final class Pending {
    final Envelope.BodyCase method;
    final long startNanos;
    final long deadlineMs;
    final CompletableFuture<Frame> future = new CompletableFuture<>();
    volatile Timeout timeout;
    volatile Channel channel;

    Pending(Envelope.BodyCase method, long startNanos, long deadlineMs) {
      this.method = method;
      this.startNanos = startNanos;
      this.deadlineMs = deadlineMs;
    }

    void cancelTimeout() {
      Timeout t = timeout;
      if (t != null) {
        t.cancel();
      }
    }
  }

  private final class ReplyHandler extends SimpleChannelInboundHandler<Frame> {
    ReplyHandler() {
      super(false);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Frame reply) {
      Envelope h = reply.header();
      Pending p = pending.remove(h.getRequestId());
      if (p == null) {
        if (h.getRequestId() == 0 && h.getCode() != ErrorCode.OK) {
          log.warn("server {} refused our connection: {} {}", address, h.getCode(), h.getMessage());
        }
        reply.release();
        return;
      }
      p.cancelTimeout();
      boolean ok = h.getCode() == ErrorCode.OK;
      metrics.record(p.method, System.nanoTime() - p.startNanos, ok);
      if (ok) {
        if (!p.future.complete(reply)) {
          reply.release();
        }
      } else {
        reply.release();
        p.future.completeExceptionally(RpcErrors.fromEnvelope(h));
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof IdleStateEvent && !hasPendingOn(ctx.channel())) {
        log.debug("closing idle connection to {}", address);
        ctx.close();
        return;
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      log.debug("connection to {} failed: {}", address, cause.toString());
      ctx.close();
    }
  }
}
