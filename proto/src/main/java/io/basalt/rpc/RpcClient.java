package io.basalt.rpc;

import com.codahale.metrics.Counter;
import io.basalt.common.HostPort;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AttributeKey;
import io.netty.util.Timeout;
import io.netty.util.Timer;
import io.netty.util.TimerTask;
import io.netty.util.internal.PlatformDependent;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
 *
 * <p>Flushes are consolidated: a call is written to its connection without a flush, and the connection is flushed
 * once after the event loop's current turn (or once per hand-off from other threads), so the calls made in one turn
 * (an NBD read of many requests, a batch of replies completing) leave in one gathering write. Each call keeps its
 * own deadline. Completions run on the connection's event loop: {@link ReplyCallback}s are called there directly,
 * without a future.
 */
public final class RpcClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RpcClient.class);
  private static final AtomicLong NEXT_ID = new AtomicLong(1);
  private static final AttributeKey<Outbox> OUTBOX =
      AttributeKey.valueOf(RpcClient.class, "outbox");
  /** Receive buffers of 512 B to 1 MiB, sized by what the last reads brought. */
  static final AdaptiveRecvByteBufAllocator LARGE_READS =
      new AdaptiveRecvByteBufAllocator(512, 16 * 1024, 1 << 20);
  /** Four minutes: below the server's default idle timeout of five. */
  public static final Duration DEFAULT_IDLE_CLOSE = Duration.ofMinutes(4);

  private final String address;
  private final Bootstrap bootstrap;
  private final RpcMetrics metrics;
  private final Timer timer;
  private final ConcurrentHashMap<Long, Pending> pending = new ConcurrentHashMap<>();
  private volatile ChannelFuture connection;
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
        // Read sizes adapt up to 1 MiB (Netty's default stops at 64 KiB): a 1 MiB reply then takes a few reads,
        // not sixteen; small replies keep small reads.
        .option(ChannelOption.RCVBUF_ALLOCATOR, LARGE_READS)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.attr(OUTBOX).set(new Outbox(ch));
            ch.pipeline()
                .addLast("encoder", FrameEncoder.INSTANCE)
                .addLast("decoder", new FrameDecoder(limits, new Counter(), true))
                .addLast("idle", new IdleStateHandler(0, 0, idleClose.toNanos(), TimeUnit.NANOSECONDS))
                .addLast("replies", new ReplyHandler());
          }
        });
  }

  public String address() {
    return address;
  }

  /**
   * What a call completes with, called exactly once on the connection's event loop (or on the caller's thread when
   * the call fails before it was sent): {@code reply} on success (the receiver releases it), else {@code error} (a
   * {@link BasaltException} for error replies, timeouts and lost connections). Must not block.
   */
  @FunctionalInterface
  public interface ReplyCallback {
    void onReply(Frame reply, Throwable error);
  }

  /** A call without payload whose reply payload, if any, is dropped. */
  public CompletableFuture<Envelope> call(Envelope.Builder request, Duration deadline) {
    CompletableFuture<Envelope> future = new CompletableFuture<>();
    call(request, null, deadline, (reply, error) -> {
      if (error != null) {
        future.completeExceptionally(error);
      } else {
        reply.release();
        future.complete(reply.header());
      }
    });
    return future;
  }

  /**
   * Sends {@code request} (ownership of {@code data}, which may be null, passes to the client) and completes with
   * the reply frame, which the caller must release. Error replies complete exceptionally with the mapped
   * {@link BasaltException}.
   */
  public CompletableFuture<Frame> call(Envelope.Builder request, ByteBuf data, Duration deadline) {
    CompletableFuture<Frame> future = new CompletableFuture<>();
    call(request, data, deadline, (reply, error) -> {
      if (error != null) {
        future.completeExceptionally(error);
      } else if (!future.complete(reply)) {
        reply.release();
      }
    });
    return future;
  }

  /**
   * As {@link #call(Envelope.Builder, ByteBuf, Duration)}, completing {@code callback} directly (no future): the
   * reply frame on success, which the callback must release.
   */
  public void call(Envelope.Builder request, ByteBuf data, Duration deadline, ReplyCallback callback) {
    long id = NEXT_ID.getAndIncrement();
    Envelope.BodyCase method = request.getBodyCase();
    long deadlineMs = Math.max(1, deadline.toMillis());
    Envelope header = request.setRequestId(id).setDeadlineMs((int) Math.min(Integer.MAX_VALUE, deadlineMs)).build();
    Pending p = new Pending(id, method, System.nanoTime(), deadlineMs, header, data, callback);
    if (closed) {
      release(data);
      p.complete(null, unavailable("client closed"));
      return;
    }
    pending.put(id, p);
    send(p, true);
  }

  /** Sends on the current connection; one that closed before this call went out on it is replaced once. */
  private void send(Pending p, boolean mayReconnect) {
    ChannelFuture cf = channel();
    if (cf.isDone()) {
      sendOn(cf, p, mayReconnect);
    } else {
      cf.addListener(done -> sendOn(cf, p, mayReconnect));
    }
  }

  private void sendOn(ChannelFuture cf, Pending p, boolean mayReconnect) {
    ByteBuf data = p.data;
    if (!cf.isSuccess()) {
      p.data = null;
      release(data);
      fail(p.id, unavailable("cannot connect: " + cf.cause()));
      return;
    }
    Channel ch = cf.channel();
    if (!ch.isActive()) {
      if (mayReconnect && pending.containsKey(p.id)) {
        send(p, false); // closed (idle) before we sent anything: nothing to duplicate
        return;
      }
      p.data = null;
      release(data);
      fail(p.id, unavailable("connection closed"));
      return;
    }
    p.channel = ch;
    // The deadline rides on a shared wheel timer, not the event loop: arming it from a caller thread then costs
    // no event-loop wakeup, and the write below is the only cross-thread hand-off of the call.
    p.timeout = timer.newTimeout(p, p.deadlineMs, TimeUnit.MILLISECONDS);
    ch.attr(OUTBOX).get().send(p);
  }

  /** The connection, made (or remade) when there is none or it is gone; lock-free while it is up. */
  private ChannelFuture channel() {
    ChannelFuture c = connection;
    if (c != null && (!c.isDone() || (c.isSuccess() && c.channel().isActive()))) {
      return c;
    }
    return reconnect();
  }

  private synchronized ChannelFuture reconnect() {
    if (connection == null || (connection.isDone() && (!connection.isSuccess() || !connection.channel().isActive()))) {
      ChannelFuture mine = bootstrap.connect();
      connection = mine;
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
      p.complete(null, error);
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
    ChannelFuture c = connection;
    if (c != null) {
      c.channel().close();
    }
    for (Long id : pending.keySet()) {
      fail(id, unavailable("client closed"));
    }
  }

  /**
   * One call until it completes: its deadline (a timer task), the listener of its write, and what it completes.
   * Whoever removes it from {@link #pending} completes it, so that happens once.
   */
  private final class Pending implements TimerTask, ChannelFutureListener {
    final long id;
    final Envelope.BodyCase method;
    final long startNanos;
    final long deadlineMs;
    final Envelope header;
    /** Until written (or released). */
    ByteBuf data;
    final ReplyCallback callback;
    volatile Timeout timeout;
    volatile Channel channel;

    Pending(long id, Envelope.BodyCase method, long startNanos, long deadlineMs, Envelope header, ByteBuf data,
        ReplyCallback callback) {
      this.id = id;
      this.method = method;
      this.startNanos = startNanos;
      this.deadlineMs = deadlineMs;
      this.header = header;
      this.data = data;
      this.callback = callback;
    }

    void cancelTimeout() {
      Timeout t = timeout;
      if (t != null) {
        t.cancel();
      }
    }

    void complete(Frame reply, Throwable error) {
      try {
        callback.onReply(reply, error);
      } catch (RuntimeException e) {
        log.warn("reply callback of {} to {} failed", method, address, e);
      }
    }

    /** The deadline passed. */
    @Override
    public void run(Timeout t) {
      fail(id, new BasaltException(ErrorCode.TIMEOUT, method + " to " + address + " got no reply within "
          + deadlineMs + " ms", true));
    }

    /** The write ended. */
    @Override
    public void operationComplete(ChannelFuture w) {
      if (!w.isSuccess()) {
        fail(id, unavailable("send failed: " + w.cause()));
      }
    }
  }

  /**
   * The calls of one connection on their way to its event loop. A call made on the loop is written at once; one made
   * elsewhere is queued, and one task per batch of them writes them on the loop. Either way one flush follows, after
   * the loop's current turn, for everything written in it.
   */
  private static final class Outbox implements Runnable {
    private final Channel ch;
    private final EventLoop loop;
    private final Queue<Pending> queue = PlatformDependent.newMpscQueue();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    /** Loop-confined: a flush is scheduled after this turn. */
    private boolean flushScheduled;
    private final Runnable flush = this::flushNow;

    Outbox(Channel ch) {
      this.ch = ch;
      this.loop = ch.eventLoop();
    }

    void send(Pending p) {
      if (loop.inEventLoop()) {
        write(p);
        scheduleFlush();
        return;
      }
      queue.offer(p);
      if (drainScheduled.compareAndSet(false, true)) {
        try {
          loop.execute(this);
        } catch (RejectedExecutionException e) {
          drainScheduled.set(false);
          run(); // shut down: write (and fail) them here
        }
      }
    }

    /** Drains the queue on the loop (or after the loop refused the task). */
    @Override
    public void run() {
      drainScheduled.set(false);
      Pending p;
      while ((p = queue.poll()) != null) {
        write(p);
      }
      if (loop.inEventLoop()) {
        scheduleFlush();
      } else {
        ch.flush();
      }
    }

    private void write(Pending p) {
      ByteBuf data = p.data;
      p.data = null;
      ch.write(new Frame(p.header, data), ch.newPromise().addListener(p));
    }

    private void scheduleFlush() {
      if (flushScheduled) {
        return;
      }
      flushScheduled = true;
      NettyTransport.afterIteration(loop, flush);
    }

    private void flushNow() {
      flushScheduled = false;
      ch.flush();
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
        p.complete(reply, null);
      } else {
        reply.release();
        p.complete(null, RpcErrors.fromEnvelope(h));
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
