package io.basalt.client.nbd;

import io.basalt.client.volume.IoCallback;
import io.basalt.client.volume.Volume;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.NettyTransport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Transmission phase of one connection: issues each request to the volume as soon as it arrives and replies in
 * completion order. Completions may run on any thread; they hop to the channel's event loop, so all state here is
 * confined to that loop and needs no locks.
 *
 * <p>Backpressure: at most {@code maxInFlight} requests (and about {@code maxInFlightBytes} of READ/WRITE data) are
 * with the volume at once; further decoded requests wait in a queue and the channel stops reading until replies
 * drain. Reading also stops while the socket is not writable, so slow readers cannot pile up read replies.
 *
 * <p>READ and WRITE complete through a direct callback (no future per request), and replies are written without a
 * flush each: the connection is flushed once after the event loop's turn, so the replies of one turn leave in one
 * gathering write.
 */
final class NbdTransmissionHandler extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(NbdTransmissionHandler.class);

  private final NbdExport export;
  private final NbdServerConfig config;
  private final NbdMetrics metrics;
  private final ArrayDeque<NbdRequest> queued = new ArrayDeque<>();
  private final ChannelFutureListener replyWritten = this::onReplyWritten;
  private final Runnable flush = this::flushNow;
  private boolean flushScheduled;
  private ChannelHandlerContext ctx;
  private int inFlight;
  private long inFlightBytes;
  private long served;
  private boolean draining;
  private boolean disconnecting;
  private boolean closing;

  NbdTransmissionHandler(NbdExport export, NbdServerConfig config, NbdMetrics metrics) {
    this.export = export;
    this.config = config;
    this.metrics = metrics;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof NbdRequest request)) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (disconnecting) {
      LOG.debug("ignoring {} from {} sent after NBD_CMD_DISC", request, ctx.channel().remoteAddress());
      request.release();
    } else if (queued.isEmpty() && admits(request)) {
      start(request);
    } else {
      queued.add(request);
    }
    updateAutoRead();
  }

  private boolean admits(NbdRequest request) {
    return inFlight == 0 || (inFlight < config.maxInFlight()
        && inFlightBytes + request.bufferedBytes() <= config.maxInFlightBytes());
  }

  /** Validates and issues one request; releases the request's own reference whatever happens. */
  private void start(NbdRequest request) {
    try {
      if (request.command == NbdCommand.DISC) {
        beginDisconnect();
        return;
      }
      NbdRequestCheck.Rejection rejection = NbdRequestCheck.check(request, export);
      if (rejection != null) {
        metrics.failed();
        LOG.info("rejecting NBD {} from {} on export {} with {}: {}", request, ctx.channel().remoteAddress(),
            export.name(), rejection.error(), rejection.reason());
        reply(NbdReply.error(request.handle, rejection.error()));
        return;
      }
      if (request.length == 0 && request.command != NbdCommand.FLUSH) {
        // The protocol leaves zero-length requests unspecified (but not fatal); they change nothing.
        reply(NbdReply.ok(request.handle));
        return;
      }
      inFlight++;
      inFlightBytes += request.bufferedBytes();
      Completion done = new Completion(request, System.nanoTime());
      switch (request.command) {
        case READ -> issueRead(request, done);
        // The volume takes ownership of the retained slice; start() releases the request's own reference.
        case WRITE -> issueWrite(request, done);
        default -> issue(request).whenComplete(done::done);
      }
    } finally {
      request.release();
    }
  }

  private void issueRead(NbdRequest r, Completion done) {
    try {
      export.volume().read(r.offset, (int) r.length, done);
    } catch (RuntimeException e) {
      done.done(null, e);
    }
  }

  @SuppressWarnings("unchecked")
  private void issueWrite(NbdRequest r, Completion done) {
    ByteBuf payload = r.content().retain();
    try {
      export.volume().write(r.offset, payload, r.fua(), (IoCallback<Void>) (IoCallback<?>) done);
    } catch (RuntimeException e) {
      done.done(null, e);
    }
  }

  /** The end of one request in flight: completes it on the channel's event loop. */
  private final class Completion implements IoCallback<ByteBuf>, Runnable {
    private final NbdRequest request;
    private final long started;
    private ByteBuf data;
    private Throwable error;

    Completion(NbdRequest request, long started) {
      this.request = request;
      this.started = started;
    }

    @Override
    public void done(ByteBuf result, Throwable failure) {
      this.data = result;
      this.error = failure;
      EventLoop loop = ctx.channel().eventLoop();
      if (loop.inEventLoop()) {
        run();
        return;
      }
      try {
        loop.execute(this);
      } catch (RejectedExecutionException e) {
        ReferenceCountUtil.release(result); // server shut down: nobody will send this reply
      }
    }

    @Override
    public void run() {
      complete(request, started, data, error);
    }
  }

  private CompletableFuture<ByteBuf> issue(NbdRequest r) {
    Volume volume = export.volume();
    try {
      return switch (r.command) {
        case READ -> volume.read(r.offset, (int) r.length);
        // The volume takes ownership of the retained slice; start() releases the request's own reference.
        case WRITE -> noData(volume.write(r.offset, r.content().retain(), r.fua()));
        case FLUSH -> noData(volume.flush());
        // Volume.trim has no FUA; a flush after it gives the same guarantee.
        case TRIM -> noData(r.fua() ? volume.trim(r.offset, r.length).thenCompose(v -> volume.flush())
            : volume.trim(r.offset, r.length));
        // NBD_CMD_FLAG_NO_HOLE needs nothing extra: writeZeroes writes zeros rather than punching a hole.
        case WRITE_ZEROES -> noData(volume.writeZeroes(r.offset, r.length, r.fua()));
        default -> throw new IllegalStateException("not a volume command: " + r);
      };
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static CompletableFuture<ByteBuf> noData(CompletableFuture<Void> future) {
    return future.thenApply(ignored -> null);
  }

  private void complete(NbdRequest request, long started, ByteBuf data, Throwable error) {
    inFlight--;
    inFlightBytes -= request.bufferedBytes();
    served++;
    if (error != null) {
      BasaltException failure = BasaltException.of(error);
      NbdError nbdError = NbdError.of(failure.code());
      metrics.failed();
      LOG.warn("NBD {} failed on export {} from {}: handle=0x{} offset={} length={} code={} -> {} ({})",
          request.command, export.name(), ctx.channel().remoteAddress(), Long.toHexString(request.handle),
          Long.toUnsignedString(request.offset), request.length, failure.code(), nbdError, failure.getMessage());
      reply(NbdReply.error(request.handle, nbdError));
    } else if (request.command == NbdCommand.READ && (data == null || data.readableBytes() != request.length)) {
      LOG.error("volume {} returned {} bytes for {}; replying EIO", export.name(),
          data == null ? "no" : data.readableBytes(), request);
      ReferenceCountUtil.release(data);
      metrics.failed();
      reply(NbdReply.error(request.handle, NbdError.EIO));
    } else {
      metrics.succeeded(request.command, request.length, System.nanoTime() - started);
      reply(request.command == NbdCommand.READ ? NbdReply.data(request.handle, data) : NbdReply.ok(request.handle));
    }
    drain();
    if (disconnecting && inFlight == 0) {
      closeAfterReplies();
    }
  }

  /** Starts queued requests while the budget allows; a flag keeps synchronous completions from recursing. */
  private void drain() {
    if (draining) {
      return;
    }
    draining = true;
    try {
      while (!disconnecting && !queued.isEmpty() && admits(queued.peek())) {
        start(queued.poll());
      }
    } finally {
      draining = false;
    }
    updateAutoRead();
  }

  /** Writes {@code reply}; the flush follows once after this turn of the event loop, for every reply of the turn. */
  private void reply(NbdReply reply) {
    ctx.write(reply).addListener(replyWritten);
    if (!flushScheduled) {
      flushScheduled = true;
      NettyTransport.afterIteration(ctx.channel().eventLoop(), flush);
    }
  }

  private void flushNow() {
    flushScheduled = false;
    ctx.flush();
  }

  private void onReplyWritten(ChannelFuture future) {
    if (!future.isSuccess() && future.channel().isActive()) {
      LOG.warn("cannot send NBD reply to {}; closing", future.channel().remoteAddress(), future.cause());
      future.channel().close();
    }
  }

  private void beginDisconnect() {
    LOG.debug("NBD client {} sent NBD_CMD_DISC; {} requests in flight", ctx.channel().remoteAddress(), inFlight);
    disconnecting = true;
    releaseQueued();
    if (inFlight == 0) {
      closeAfterReplies();
    }
  }

  /** Closes once every reply written so far has reached the socket (a plain close would drop them). */
  private void closeAfterReplies() {
    if (!closing) {
      closing = true;
      ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
  }

  private void updateAutoRead() {
    boolean read = !disconnecting && queued.isEmpty() && inFlight < config.maxInFlight()
        && inFlightBytes < config.maxInFlightBytes() && ctx.channel().isWritable();
    ChannelConfig channelConfig = ctx.channel().config();
    if (channelConfig.isAutoRead() != read) {
      channelConfig.setAutoRead(read);
    }
  }

  private void releaseQueued() {
    NbdRequest request;
    while ((request = queued.poll()) != null) {
      request.release();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    updateAutoRead();
    ctx.fireChannelWritabilityChanged();
  }

  /**
   * The connection is gone: its requests in flight are given up (their attempts are never retried: the client
   * re-sends them on its next connection, and an old attempt must not land after that), and so are the queued ones.
   */
  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    LOG.info("NBD connection from {} closed (export {}, {} requests served, {} in flight)",
        ctx.channel().remoteAddress(), export.name(), served, inFlight);
    disconnecting = true;
    releaseQueued();
    export.volume().close();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    releaseQueued();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Throwable root = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
    if (root instanceof NbdProtocolException) {
      LOG.warn("closing NBD connection from {} (export {}): {}", ctx.channel().remoteAddress(), export.name(),
          root.getMessage());
    } else if (root instanceof IOException) {
      LOG.info("NBD connection from {} (export {}) failed: {}", ctx.channel().remoteAddress(), export.name(), root);
    } else {
      LOG.warn("unexpected error on NBD connection from {} (export {}); closing", ctx.channel().remoteAddress(),
          export.name(), cause);
    }
    ctx.close();
  }
}
