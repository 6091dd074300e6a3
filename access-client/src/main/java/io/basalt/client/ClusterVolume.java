package io.basalt.client;

import io.basalt.client.ClientMetrics.Op;
import io.basalt.client.io.FlushTracker;
import io.basalt.client.io.IoRouter;
import io.basalt.client.layout.ExtentLocation;
import io.basalt.client.layout.ExtentLocationCache;
import io.basalt.client.layout.ExtentMapper;
import io.basalt.client.layout.ExtentPart;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ReadRequest;
import io.basalt.proto.VolumeInfo;
import io.basalt.proto.WriteKind;
import io.basalt.proto.WriteRequest;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.Frame;
import io.basalt.rpc.RpcClientFactory;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;

/**
 * A volume served by the cluster: splits I/O at extent boundaries ({@link ExtentMapper}), finds or allocates each
 * extent ({@link ExtentLocationCache}), sends each piece to the extent's lease owner ({@link IoRouter}) and tracks
 * what the next flush must sync ({@link FlushTracker}). Pieces run in parallel; a read is reassembled in order.
 *
 * <p>Thread-safe and non-blocking once open; one instance per volume is shared by every NBD connection, so
 * {@link #close()} does nothing (the {@link ClusterVolumeProvider} owns the shared resources).
 */
public final class ClusterVolume implements Volume {
  static final int BLOCK_SIZE = 4096;

  private final VolumeInfo info;
  private final ExtentMapper mapper;
  private final ExtentLocationCache cache;
  private final IoRouter router;
  private final FlushTracker flushes;
  private final ClientMetrics metrics;
  private final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;

  ClusterVolume(VolumeInfo info, ExtentLocationCache cache, RpcClientFactory rpc, ClientConfig config,
      ClientMetrics metrics, ScheduledExecutorService timer) {
    this.info = info;
    this.mapper = new ExtentMapper(info.getExtentSize());
    this.cache = cache;
    this.metrics = metrics;
    this.router = new IoRouter(info.getVid(), rpc, cache, config, metrics, timer);
    this.flushes = new FlushTracker(info.getVid(), rpc, cache, router, config);
  }

  @Override
  public String name() {
    return info.getName();
  }

  public long vid() {
    return info.getVid();
  }

  @Override
  public long size() {
    return info.getSizeBytes();
  }

  @Override
  public int blockSize() {
    return BLOCK_SIZE;
  }

  /** Pids written since their last successful flush (for tests and status). */
  public int dirtyExtents() {
    return flushes.dirtyCount();
  }

  @Override
  public CompletableFuture<ByteBuf> read(long offset, int length) {
    BasaltException bad = checkRange("read", offset, length);
    if (bad != null) {
      return metrics.time(Op.READ, CompletableFuture.failedFuture(bad));
    }
    List<ExtentPart> parts = mapper.split(offset, length);
    List<CompletableFuture<ByteBuf>> pieces = new ArrayList<>(parts.size());
    for (ExtentPart p : parts) {
      pieces.add(readPart(p));
    }
    return metrics.time(Op.READ, CompletableFuture.allOf(pieces.toArray(CompletableFuture[]::new))
        .handle((v, err) -> assemble(pieces, length)));
  }

  private CompletableFuture<ByteBuf> readPart(ExtentPart p) {
    if (cache.get(p.index()) == null) {
      return CompletableFuture.completedFuture(alloc.buffer(p.length()).writeZero(p.length()));
    }
    return router.send(p.index(), loc -> Envelope.newBuilder().setRead(ReadRequest.newBuilder()
        .setPid(loc.pid()).setEpoch(loc.epoch()).setOffset(p.offsetInExtent()).setLength(p.length())), null)
        .thenApply(frame -> takeData(frame, p));
  }

  private ByteBuf takeData(Frame frame, ExtentPart p) {
    ByteBuf data = frame.data();
    if (data.readableBytes() != p.length()) {
      frame.release();
      throw new BasaltException(ErrorCode.IO_ERROR, "vid=" + info.getVid() + " index=" + p.index()
          + " read of " + p.length() + " bytes returned " + data.readableBytes(), false);
    }
    return data;
  }

  /** Joins the pieces in order, or releases those that arrived and rethrows the first failure. */
  private ByteBuf assemble(List<CompletableFuture<ByteBuf>> pieces, int length) {
    BasaltException failure = null;
    List<ByteBuf> bufs = new ArrayList<>(pieces.size());
    for (CompletableFuture<ByteBuf> f : pieces) {
      try {
        bufs.add(f.join());
      } catch (RuntimeException e) {
        failure = failure == null ? BasaltException.of(e) : failure;
      }
    }
    if (failure != null) {
      bufs.forEach(ByteBuf::release);
      throw failure;
    }
    if (bufs.isEmpty()) {
      return Unpooled.EMPTY_BUFFER;
    }
    if (bufs.size() == 1) {
      return bufs.get(0);
    }
    CompositeByteBuf out = alloc.compositeBuffer(bufs.size());
    out.addComponents(true, bufs);
    assert out.readableBytes() == length;
    return out;
  }

  @Override
  public CompletableFuture<Void> write(long offset, ByteBuf data, boolean fua) {
    List<CompletableFuture<Void>> pieces = new ArrayList<>();
    try {
      BasaltException bad = checkRange("write", offset, data.readableBytes());
      if (bad != null) {
        return metrics.time(Op.WRITE, CompletableFuture.failedFuture(bad));
      }
      for (ExtentPart p : mapper.split(offset, data.readableBytes())) {
        ByteBuf slice = data.retainedSlice(data.readerIndex() + (int) p.offsetInRequest(), p.length());
        pieces.add(writePart(p, WriteKind.WRITE, slice, fua));
      }
    } finally {
      data.release();
    }
    return metrics.time(Op.WRITE, CompletableFuture.allOf(pieces.toArray(CompletableFuture[]::new)));
  }

  @Override
  public CompletableFuture<Void> trim(long offset, long length) {
    return metrics.time(Op.TRIM, writeWithoutData("trim", offset, length, WriteKind.TRIM, false));
  }

  @Override
  public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
    return metrics.time(Op.WRITE_ZEROES, writeWithoutData("writeZeroes", offset, length, WriteKind.WRITE_ZEROES,
        fua));
  }

  /** TRIM and WRITE_ZEROES: unallocated extents already read as zeros, so they are skipped (never allocated). */
  private CompletableFuture<Void> writeWithoutData(String op, long offset, long length, WriteKind kind,
      boolean fua) {
    BasaltException bad = checkRange(op, offset, length);
    if (bad != null) {
      return CompletableFuture.failedFuture(bad);
    }
    List<CompletableFuture<Void>> pieces = new ArrayList<>();
    for (ExtentPart p : mapper.split(offset, length)) {
      if (cache.get(p.index()) != null) {
        pieces.add(writePart(p, kind, null, fua));
      }
    }
    return CompletableFuture.allOf(pieces.toArray(CompletableFuture[]::new));
  }

  /** One extent's piece of a write; owns {@code data} (may be null). Marks the extent dirty whatever the outcome. */
  private CompletableFuture<Void> writePart(ExtentPart p, WriteKind kind, ByteBuf data, boolean fua) {
    CompletableFuture<ExtentLocation> located = cache.getOrAllocate(p.index());
    return located.handle((loc, err) -> {
      if (err != null) {
        if (data != null) {
          data.release();
        }
        return CompletableFuture.<Void>failedFuture(BasaltException.of(err));
      }
      return router.send(p.index(), l -> Envelope.newBuilder().setWrite(WriteRequest.newBuilder()
          .setPid(l.pid()).setEpoch(l.epoch()).setOffset(p.offsetInExtent()).setLength(p.length())
          .setKind(kind).setFua(fua).setVid(info.getVid())), data)
          .handle((frame, failure) -> {
            if (frame != null) {
              frame.release();
            }
            if (!fua || failure != null) {
              flushes.markDirty(p.index(), loc.pid());
            }
            if (failure != null) {
              throw BasaltException.of(failure);
            }
            return (Void) null;
          });
    }).thenCompose(f -> f);
  }

  @Override
  public CompletableFuture<Void> flush() {
    return metrics.time(Op.FLUSH, flushes.flush());
  }

  /** INVALID_ARGUMENT for a range outside {@code [0, size())}; null when it is inside. */
  private BasaltException checkRange(String op, long offset, long length) {
    long size = info.getSizeBytes();
    if (offset < 0 || length < 0 || offset > size || length > size - offset) {
      return new BasaltException(ErrorCode.INVALID_ARGUMENT, op + " out of range: offset=" + offset + " length="
          + length + " size=" + size + " vid=" + info.getVid() + " volume=" + info.getName(), false);
    }
    return null;
  }

  @Override
  public void close() {
    // Shared by every connection: the provider owns its lifetime.
  }

  @Override
  public String toString() {
    return "ClusterVolume{vid=" + info.getVid() + ", name=" + info.getName() + ", size=" + size() + "}";
  }
}
