package io.basalt.rpc;

import com.codahale.metrics.Counter;
import io.basalt.common.LogLimiter;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dispatches each request frame to its handler and writes the reply. Any throwable from a handler becomes an
 * error reply for that request alone (a request that decodes but names no known method gets UNKNOWN_METHOD, and
 * the connection stays); exceptions on the channel close that channel alone.
 *
 * <p>A request whose deadline passed before its dispatch (see {@link #lateBy}) is answered DEADLINE_EXCEEDED
 * (retryable; nothing was executed) without calling its handler, and counted in {@link RpcMetrics#deadlineExceeded}.
 *
 * <p>Per connection it bounds what a peer holds ({@link ConnectionLimits}): a request is in flight from its
 * dispatch until its reply is written to the socket, its cost its frame bytes plus its reply bytes. Above the byte
 * or request cap the channel stops reading (autoRead off) and reads again once half has drained: a fast pipelining
 * client is slowed down, never cut off. An idle event (no complete frame for the idle timeout) closes the
 * connection only when nothing is in flight.
 *
 * <p>Thread: one instance per channel; its counters belong to the channel's event loop.
 */
final class RpcServerHandler extends SimpleChannelInboundHandler<Frame> {
  private static final Logger log = LoggerFactory.getLogger(RpcServerHandler.class);
  private static final LogLimiter unexpectedLog = new LogLimiter(1);

  private final Map<Envelope.BodyCase, RpcHandler> handlers;
  private final RpcMetrics metrics;
  private final ConnectionLimits limits;
  private final ReplyStamp replyStamp;
  private final Counter readPauses;
  private final Counter idleClosed;
  private long inFlightBytes;
  private int inFlightRequests;
  private boolean paused;

  RpcServerHandler(Map<Envelope.BodyCase, RpcHandler> handlers, RpcMetrics metrics, ConnectionLimits limits,
      ReplyStamp replyStamp) {
    super(false);
    this.replyStamp = replyStamp;
    this.handlers = handlers;
    this.metrics = metrics;
    this.limits = limits;
    this.readPauses = metrics.registry().counter("basalt_rpc_" + metrics.side() + "_read_pauses");
    this.idleClosed = metrics.registry().counter("basalt_rpc_" + metrics.side() + "_idle_closed");
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, Frame request) {
    Envelope h = request.header();
    if (h.getResponse()) {
      request.release();
      long dropped = unexpectedLog.tryLog();
      if (dropped >= 0) {
        log.warn("unexpected response frame on server connection from {}; ignored (suppressed={})",
            ctx.channel().remoteAddress(), dropped);
      }
      return;
    }
    long requestId = h.getRequestId();
    Envelope.BodyCase method = h.getBodyCase();
    long cost = 9L + h.getSerializedSize() + request.data().readableBytes();
    admit(ctx, cost);
    RpcHandler handler = handlers.get(method);
    long start = System.nanoTime();
    Consumer<Envelope.Builder> stamp = replyStamp == null ? null : replyStamp.onRequest();
    CompletableFuture<Reply> reply;
    long lateNanos = lateBy(request, start);
    if (handler == null) {
      reply = CompletableFuture.failedFuture(new BasaltException(ErrorCode.UNKNOWN_METHOD,
          "no handler for " + method + " on this server"));
    } else if (lateNanos > 0) {
      metrics.deadlineExceeded().inc();
      reply = CompletableFuture.failedFuture(new BasaltException(ErrorCode.DEADLINE_EXCEEDED, method + " requestId="
          + requestId + " waited " + TimeUnit.NANOSECONDS.toMillis(lateNanos) + " ms past its deadline of "
          + h.getDeadlineMs() + " ms before dispatch: not executed", true));
    } else {
      try {
        reply = RequestDeadline.with(deadlineOf(request), () -> handler.handle(request));
        if (reply == null) {
          reply = CompletableFuture.failedFuture(new IllegalStateException("handler returned null for " + method));
        }
      } catch (Throwable t) {
        reply = CompletableFuture.failedFuture(t);
      }
    }
    reply.whenComplete((r, err) -> {
      request.release();
      metrics.record(method, System.nanoTime() - start, err == null);
      Frame out = err != null ? errorReply(ctx, method, requestId, err, stamp) : okReply(requestId, r, stamp);
      if (ctx.executor().inEventLoop()) {
        respond(ctx, out, cost);
        return;
      }
      try {
        ctx.executor().execute(() -> respond(ctx, out, cost));
      } catch (RejectedExecutionException e) {
        out.release(); // the event loop is gone with its channel
      }
    });
  }

  /**
   * How long past its deadline {@code request} is at {@code now} (0 or less: not late). The deadline is the sender's
   * time budget ({@code deadline_ms}, 0: none) counted from this process's receipt of the frame on its own monotonic
   * clock; transit time is not counted, so the server never refuses a request its sender still waits for.
   */
  /** The request's deadline on this process's clock ({@link RequestDeadline}), or NONE when it set no budget. */
  static long deadlineOf(Frame request) {
    int budgetMs = request.header().getDeadlineMs();
    if (budgetMs <= 0 || request.receivedNanos() == Frame.NOT_RECEIVED) {
      return RequestDeadline.NONE;
    }
    return request.receivedNanos() + TimeUnit.MILLISECONDS.toNanos(budgetMs);
  }

  static long lateBy(Frame request, long now) {
    int budgetMs = request.header().getDeadlineMs();
    if (budgetMs <= 0 || request.receivedNanos() == Frame.NOT_RECEIVED) {
      return 0;
    }
    return now - request.receivedNanos() - TimeUnit.MILLISECONDS.toNanos(budgetMs);
  }

  private static Frame errorReply(ChannelHandlerContext ctx, Envelope.BodyCase method, long requestId,
      Throwable err, Consumer<Envelope.Builder> stamp) {
    BasaltException e = BasaltException.of(err);
    if (e.code() == ErrorCode.INTERNAL) {
      log.error("rpc {} failed requestId={} from {}", method, requestId, ctx.channel().remoteAddress(), err);
    } else {
      log.debug("rpc {} requestId={} -> {}", method, requestId, e.getMessage());
    }
    Envelope.Builder hb = RpcErrors.toEnvelope(requestId, e);
    if (stamp != null) {
      stamp.accept(hb);
    }
    return new Frame(hb.build(), null);
  }

  private static Frame okReply(long requestId, Reply r, Consumer<Envelope.Builder> stamp) {
    Envelope.Builder hb = r.header().setRequestId(requestId).setResponse(true);
    if (hb.getCode() == ErrorCode.ERROR_CODE_UNSPECIFIED) {
      hb.setCode(ErrorCode.OK);
    }
    if (stamp != null) {
      stamp.accept(hb);
    }
    return new Frame(hb.build(), r.data());
  }

  /** Event loop: writes the reply; the request stays in flight, with the reply's bytes, until it is written. */
  private void respond(ChannelHandlerContext ctx, Frame out, long requestCost) {
    if (!ctx.channel().isActive()) {
      out.release();
      done(ctx, requestCost);
      return;
    }
    long replyBytes = out.data().readableBytes();
    inFlightBytes += replyBytes;
    ctx.writeAndFlush(out).addListener(f -> done(ctx, requestCost + replyBytes));
  }

  private void admit(ChannelHandlerContext ctx, long cost) {
    inFlightBytes += cost;
    inFlightRequests++;
    if (!paused && (inFlightBytes >= limits.maxInFlightBytes() || inFlightRequests >= limits.maxInFlightRequests())) {
      paused = true;
      readPauses.inc();
      ctx.channel().config().setAutoRead(false);
      log.debug("rpc connection from {} paused: inFlightBytes={} inFlightRequests={}", ctx.channel().remoteAddress(),
          inFlightBytes, inFlightRequests);
    }
  }

  /** Event loop: one request's reply is written (or dropped); resume reading below half the caps. */
  private void done(ChannelHandlerContext ctx, long cost) {
    inFlightBytes -= cost;
    inFlightRequests--;
    if (paused && inFlightBytes <= limits.maxInFlightBytes() / 2
        && inFlightRequests <= limits.maxInFlightRequests() / 2) {
      paused = false;
      ctx.channel().config().setAutoRead(true);
      log.debug("rpc connection from {} resumed", ctx.channel().remoteAddress());
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent e && e.state() == IdleState.READER_IDLE) {
      if (inFlightRequests == 0) {
        idleClosed.inc();
        log.debug("closing rpc connection from {}: no complete frame within {}", ctx.channel().remoteAddress(),
            limits.idleTimeout());
        ctx.close();
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof IOException) {
      log.debug("connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
    } else {
      log.warn("closing connection from {} after error", ctx.channel().remoteAddress(), cause);
    }
    ctx.close();
  }
}
