package io.basalt.client.nbd;

import io.basalt.client.volume.Volume;
import io.basalt.rpc.BasaltException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fixed newstyle handshake of one connection: greeting, client flags, then options until NBD_OPT_GO or
 * NBD_OPT_EXPORT_NAME selects a volume, at which point this handler rebuilds the pipeline for the transmission
 * phase and removes itself. Options are handled one at a time, as the protocol requires of clients.
 *
 * <p>Volume lookups may reach the cluster and block, so {@link NbdVolumeResolver} runs them off the event loop;
 * reading pauses meanwhile and the answer is written from the event loop.
 */
final class NbdHandshakeHandler extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(NbdHandshakeHandler.class);
  /** NBD strings (export names) are at most 4096 bytes (proto.md); a longer one is refused, never looked up. */
  static final int MAX_NAME_LENGTH = 4096;
  /** Largest option data buffered: GO with a 4096-byte name and 2043 info requests. */
  static final int MAX_OPTION_LENGTH = 8192;
  /**
   * Option data above {@link #MAX_OPTION_LENGTH} and up to this is skipped as it arrives (never buffered) and the
   * option refused, and haggling goes on; above it (a length of 2^32 - 1, say) the connection is closed at once.
   */
  static final long MAX_SKIPPED_OPTION_LENGTH = 1 << 20;
  static final String DECODER = "nbd-decoder";
  static final String TRANSMISSION = "nbd-transmission";

  private enum State { CLIENT_FLAGS, OPTIONS, WAITING, DONE }

  private final NbdVolumeResolver resolver;
  private final NbdServerConfig config;
  private final NbdMetrics metrics;
  private State state = State.CLIENT_FLAGS;
  private ByteBuf input;
  private boolean fixedNewstyle;
  private boolean noZeroes;
  private long skipping;
  private int skippedOption;
  private ScheduledFuture<?> timeout;

  NbdHandshakeHandler(NbdVolumeResolver resolver, NbdServerConfig config, NbdMetrics metrics) {
    this.resolver = resolver;
    this.config = config;
    this.metrics = metrics;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    input = ctx.alloc().buffer(256);
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    LOG.debug("NBD connection from {} accepted", ctx.channel().remoteAddress());
    ctx.writeAndFlush(NbdOptionReplies.greeting(ctx.alloc()));
    timeout = ctx.executor().schedule(
        () -> fail(ctx, "handshake not finished within " + config.handshakeTimeout()),
        config.handshakeTimeout().toNanos(), TimeUnit.NANOSECONDS);
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf in)) {
      ctx.fireChannelRead(msg);
      return;
    }
    try {
      if (state == State.DONE) {
        return;
      }
      input.writeBytes(in);
    } finally {
      in.release();
    }
    process(ctx);
  }

  private void process(ChannelHandlerContext ctx) {
    while (state == State.CLIENT_FLAGS || state == State.OPTIONS) {
      if (state == State.CLIENT_FLAGS) {
        if (input.readableBytes() < 4) {
          break;
        }
        readClientFlags(ctx, input.readInt());
        continue;
      }
      if (skipping > 0) {
        int n = (int) Math.min(input.readableBytes(), skipping);
        input.skipBytes(n);
        skipping -= n;
        if (skipping > 0) {
          break;
        }
        refuseOversized(ctx, skippedOption);
        continue;
      }
      if (input.readableBytes() < NbdProtocol.OPTION_HEADER_LENGTH) {
        break;
      }
      int at = input.readerIndex();
      long magic = input.getLong(at);
      int option = input.getInt(at + 8);
      long length = input.getUnsignedInt(at + 12);
      if (magic != NbdProtocol.OPTION_MAGIC) {
        fail(ctx, String.format("bad option magic 0x%016x", magic));
      } else if (length > MAX_OPTION_LENGTH) {
        if (length > MAX_SKIPPED_OPTION_LENGTH || option == NbdOption.EXPORT_NAME || !fixedNewstyle) {
          // EXPORT_NAME has no error reply; whatever else this is, it is not worth reading
          fail(ctx, NbdOption.name(option) + " carries " + length + " bytes, more than " + MAX_OPTION_LENGTH);
        } else {
          input.skipBytes(NbdProtocol.OPTION_HEADER_LENGTH);
          skipping = length;
          skippedOption = option;
        }
      } else if (input.readableBytes() >= NbdProtocol.OPTION_HEADER_LENGTH + length) {
        input.skipBytes(NbdProtocol.OPTION_HEADER_LENGTH);
        handleOption(ctx, option, input.readSlice((int) length));
      } else {
        break;
      }
    }
    if (input != null) {
      input.discardSomeReadBytes();
    }
  }

  /** An option whose data was too long to read: UNSUP if we do not speak it anyway, else TOO_BIG. */
  private void refuseOversized(ChannelHandlerContext ctx, int option) {
    boolean supported = option == NbdOption.ABORT || option == NbdOption.LIST || option == NbdOption.INFO
        || option == NbdOption.GO;
    LOG.info("NBD client {} sent {} with more than {} bytes of data; refused", ctx.channel().remoteAddress(),
        NbdOption.name(option), MAX_OPTION_LENGTH);
    reply(ctx, NbdOptionReplies.error(ctx.alloc(), option, supported ? NbdOption.REP_ERR_TOO_BIG
        : NbdOption.REP_ERR_UNSUP, NbdOption.name(option) + " data is longer than " + MAX_OPTION_LENGTH + " bytes"));
  }

  private void readClientFlags(ChannelHandlerContext ctx, int flags) {
    if ((flags & ~NbdProtocol.KNOWN_CLIENT_FLAGS) != 0) {
      fail(ctx, String.format("unknown client flags 0x%x", flags));
      return;
    }
    fixedNewstyle = (flags & NbdProtocol.FLAG_C_FIXED_NEWSTYLE) != 0;
    noZeroes = (flags & NbdProtocol.FLAG_C_NO_ZEROES) != 0;
    state = State.OPTIONS;
  }

  private void handleOption(ChannelHandlerContext ctx, int option, ByteBuf data) {
    LOG.debug("NBD client {} sent {} ({} bytes)", ctx.channel().remoteAddress(), NbdOption.name(option),
        data.readableBytes());
    if (!fixedNewstyle && option != NbdOption.EXPORT_NAME) {
      fail(ctx, "client did not negotiate fixed newstyle but sent " + NbdOption.name(option));
      return;
    }
    switch (option) {
      case NbdOption.EXPORT_NAME -> {
        if (data.readableBytes() > MAX_NAME_LENGTH) {
          fail(ctx, "NBD_OPT_EXPORT_NAME of " + data.readableBytes() + " bytes, more than " + MAX_NAME_LENGTH);
          return;
        }
        exportName(ctx, data.toString(StandardCharsets.UTF_8));
      }
      case NbdOption.ABORT -> {
        state = State.DONE;
        ctx.writeAndFlush(NbdOptionReplies.empty(ctx.alloc(), option, NbdOption.REP_ACK))
            .addListener(ChannelFutureListener.CLOSE);
      }
      case NbdOption.LIST -> list(ctx, data.isReadable());
      case NbdOption.INFO, NbdOption.GO -> info(ctx, option, NbdInfoRequest.parse(data));
      default -> reply(ctx, NbdOptionReplies.error(ctx.alloc(), option, NbdOption.REP_ERR_UNSUP,
          NbdOption.name(option) + " is not supported by this server"));
    }
  }

  private void exportName(ChannelHandlerContext ctx, String name) {
    await(ctx, resolver.open(name), (Volume volume, Throwable error) -> {
      if (error != null) {
        fail(ctx, "NBD_OPT_EXPORT_NAME cannot be answered with an error: " + NbdVolumeResolver.refusal(name, error));
        return;
      }
      NbdExport export = NbdExport.of(volume, config);
      ctx.write(NbdOptionReplies.exportName(ctx.alloc(), export, noZeroes));
      startTransmission(ctx, export, "NBD_OPT_EXPORT_NAME");
    });
  }

  private void info(ChannelHandlerContext ctx, int option, NbdInfoRequest request) {
    if (request == null) {
      reply(ctx, NbdOptionReplies.error(ctx.alloc(), option, NbdOption.REP_ERR_INVALID,
          NbdOption.name(option) + " data is malformed"));
      return;
    }
    if (request.nameBytes() > MAX_NAME_LENGTH) {
      reply(ctx, NbdOptionReplies.error(ctx.alloc(), option, NbdOption.REP_ERR_INVALID,
          "export name of " + request.nameBytes() + " bytes, more than " + MAX_NAME_LENGTH));
      return;
    }
    await(ctx, resolver.open(request.name()), (Volume volume, Throwable error) -> {
      ByteBufAllocator alloc = ctx.alloc();
      if (error != null) {
        String message = NbdVolumeResolver.refusal(request.name(), error);
        LOG.info("NBD client {} asked for an unavailable export: {}", ctx.channel().remoteAddress(), message);
        reply(ctx, NbdOptionReplies.error(alloc, option, NbdOption.REP_ERR_UNKNOWN, message));
        return;
      }
      NbdExport export = NbdExport.of(volume, config);
      NbdOptionReplies.info(alloc, option, export, request).forEach(ctx::write);
      if (option == NbdOption.GO) {
        startTransmission(ctx, export, "NBD_OPT_GO");
      } else {
        ctx.flush();
      }
    });
  }

  private void list(ChannelHandlerContext ctx, boolean hasData) {
    if (hasData) {
      reply(ctx, NbdOptionReplies.error(ctx.alloc(), NbdOption.LIST, NbdOption.REP_ERR_INVALID,
          "NBD_OPT_LIST takes no data"));
      return;
    }
    await(ctx, resolver.list(), (List<String> names, Throwable error) -> {
      if (error != null) {
        LOG.warn("cannot list volumes for NBD client {}: {}", ctx.channel().remoteAddress(), error.getMessage());
        reply(ctx, NbdOptionReplies.error(ctx.alloc(), NbdOption.LIST, NbdOption.REP_ERR_PLATFORM,
            "cannot list volumes: " + error.getMessage()));
        return;
      }
      for (String name : names) {
        ctx.write(NbdOptionReplies.server(ctx.alloc(), name));
      }
      reply(ctx, NbdOptionReplies.empty(ctx.alloc(), NbdOption.LIST, NbdOption.REP_ACK));
    });
  }

  /** Continues with the outcome of a provider call on the event loop; reading pauses until then. */
  private <T> void await(ChannelHandlerContext ctx, CompletableFuture<T> call, BiConsumer<T, Throwable> then) {
    state = State.WAITING;
    ctx.channel().config().setAutoRead(false);
    call.whenComplete((value, error) -> {
      try {
        ctx.executor().execute(() -> resume(ctx, value, error, then));
      } catch (RejectedExecutionException e) {
        LOG.debug("event loop closed before the handshake of {} could continue", ctx.channel().remoteAddress());
      }
    });
  }

  private <T> void resume(ChannelHandlerContext ctx, T value, Throwable error, BiConsumer<T, Throwable> then) {
    if (state != State.WAITING) {
      return; // closed or timed out meanwhile
    }
    state = State.OPTIONS;
    ctx.channel().config().setAutoRead(true);
    then.accept(value, error == null ? null : BasaltException.of(error));
    if (state == State.OPTIONS) {
      process(ctx);
    }
  }

  private void startTransmission(ChannelHandlerContext ctx, NbdExport export, String via) {
    state = State.DONE;
    cancelTimeout();
    ctx.flush();
    LOG.info("NBD connection from {} opened export {} ({} bytes) via {}", ctx.channel().remoteAddress(),
        export.name(), export.size(), via);
    ChannelPipeline pipeline = ctx.pipeline();
    pipeline.addAfter(ctx.name(), DECODER, new NbdRequestDecoder(config.maxRequestSize()));
    pipeline.addAfter(DECODER, TRANSMISSION, new NbdTransmissionHandler(export, config, metrics));
    ByteBuf leftover = input;
    input = null;
    if (leftover.isReadable()) {
      ctx.fireChannelRead(leftover); // requests pipelined right behind the option go to the decoder
    } else {
      leftover.release();
    }
    pipeline.remove(this);
  }

  private void reply(ChannelHandlerContext ctx, ByteBuf reply) {
    ctx.writeAndFlush(reply);
  }

  private void fail(ChannelHandlerContext ctx, String reason) {
    if (state == State.DONE) {
      return;
    }
    state = State.DONE;
    LOG.warn("closing NBD connection from {} during handshake: {}", ctx.channel().remoteAddress(), reason);
    ctx.close();
  }

  private void cancelTimeout() {
    if (timeout != null) {
      timeout.cancel(false);
      timeout = null;
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    LOG.info("NBD connection from {} closed before selecting an export", ctx.channel().remoteAddress());
    state = State.DONE;
    cancelTimeout();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    cancelTimeout();
    if (input != null) {
      input.release();
      input = null;
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof IOException) {
      LOG.info("NBD connection from {} failed during handshake: {}", ctx.channel().remoteAddress(), cause.toString());
    } else {
      LOG.warn("unexpected error in the NBD handshake with {}; closing", ctx.channel().remoteAddress(), cause);
    }
    state = State.DONE;
    ctx.close();
  }
}
