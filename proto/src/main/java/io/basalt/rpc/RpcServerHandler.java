package io.basalt.rpc;

import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dispatches each request frame to its handler and writes the reply. Any throwable from a handler becomes an
 * error reply for that request alone; exceptions on the channel close that channel alone.
 */
final class RpcServerHandler extends SimpleChannelInboundHandler<Frame> {
  private static final Logger log = LoggerFactory.getLogger(RpcServerHandler.class);
  private final Map<Envelope.BodyCase, RpcHandler> handlers;
  private final RpcMetrics metrics;

  RpcServerHandler(Map<Envelope.BodyCase, RpcHandler> handlers, RpcMetrics metrics) {
    super(false);
    this.handlers = handlers;
    this.metrics = metrics;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, Frame request) {
    Envelope h = request.header();
    if (h.getResponse()) {
      request.release();
      log.warn("unexpected response frame on server connection from {}; ignored", ctx.channel().remoteAddress());
      return;
    }
    long requestId = h.getRequestId();
    Envelope.BodyCase method = h.getBodyCase();
    RpcHandler handler = handlers.get(method);
    long start = System.nanoTime();
    CompletableFuture<Reply> reply;
    if (handler == null) {
      reply = CompletableFuture.failedFuture(new BasaltException(ErrorCode.UNKNOWN_METHOD,
          "no handler for " + method + " on this server"));
    } else {
      try {
        reply = handler.handle(request);
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
      Frame out;
      if (err != null) {
        BasaltException e = BasaltException.of(err);
        if (e.code() == ErrorCode.INTERNAL) {
          log.error("rpc {} failed requestId={} from {}", method, requestId, ctx.channel().remoteAddress(), err);
        } else {
          log.debug("rpc {} requestId={} -> {}", method, requestId, e.getMessage());
        }
        out = new Frame(RpcErrors.toEnvelope(requestId, e).build(), null);
      } else {
        Envelope.Builder hb = r.header().setRequestId(requestId).setResponse(true);
        if (hb.getCode() == ErrorCode.ERROR_CODE_UNSPECIFIED) {
          hb.setCode(ErrorCode.OK);
        }
        out = new Frame(hb.build(), r.data());
      }
      if (ctx.channel().isActive()) {
        ctx.writeAndFlush(out, ctx.voidPromise());
      } else {
        out.release();
      }
    });
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
