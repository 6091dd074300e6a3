package io.basalt.rpc;

import com.codahale.metrics.Counter;
import io.basalt.common.LogLimiter;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts a server's open connections and refuses the ones above {@link ConnectionLimits#maxConnections}: one
 * UNAVAILABLE frame (request id 0, retryable), then close, before anything is read from them. Shared by every
 * channel of one server; sits after the frame encoder so the refusal is a proper frame.
 */
@ChannelHandler.Sharable
final class ConnectionCap extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(ConnectionCap.class);

  private final String server;
  private final int max;
  private final AtomicInteger open = new AtomicInteger();
  private final Counter refused;
  private final LogLimiter logLimit = new LogLimiter(1);

  ConnectionCap(String server, int max, RpcMetrics metrics) {
    this.server = server;
    this.max = max;
    this.refused = metrics.registry().counter("basalt_rpc_" + metrics.side() + "_refused_connections");
    metrics.registry().gauge("basalt_rpc_" + metrics.side() + "_connections", () -> open::get);
  }

  int open() {
    return open.get();
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    int now = open.incrementAndGet();
    if (now <= max) {
      ctx.fireChannelActive();
      return;
    }
    refused.inc();
    long dropped = logLimit.tryLog();
    if (dropped >= 0) {
      log.warn("rpc server {} refusing connection from {}: {} open, cap {} (suppressed={})", server,
          ctx.channel().remoteAddress(), now - 1, max, dropped);
    }
    ctx.channel().config().setAutoRead(false);
    Envelope refusal = Envelope.newBuilder().setResponse(true).setCode(ErrorCode.UNAVAILABLE).setRetryable(true)
        .setMessage("rpc server " + server + " has too many connections (cap " + max + ")").build();
    ctx.writeAndFlush(new Frame(refusal, null)).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    open.decrementAndGet();
    ctx.fireChannelInactive();
  }
}
