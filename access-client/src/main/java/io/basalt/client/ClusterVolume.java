package io.basalt.client;

import io.basalt.client.ClientMetrics.Op;
import io.basalt.client.io.FlushTracker;
import io.basalt.client.io.IoRouter;
import io.basalt.client.io.IoScope;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * A volume served by the cluster: splits I/O at extent boundaries ({@link ExtentMapper}), finds or allocates each
 * extent ({@link ExtentLocationCache}), sends each piece to the extent's lease owner ({@link IoRouter}) and tracks
 * what the next flush must sync ({@link FlushTracker}). Pieces run in parallel; a read is reassembled in order.
 *
 * <p>Thread-safe and non-blocking once open; one instance per volume is shared by every NBD connection, each through
 * its own {@link VolumeHandle} whose I/O dies with it; {@link #close()} does nothing (the
 * {@link ClusterVolumeProvider} owns the shared resources).
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
  /** The scope of I/O issued on this object directly (tools, tests): never cancelled. */
  private final IoScope detached = IoScope.detached();
  private final ClosedScopes closedScopes;

  ClusterVolume(VolumeInfo info, ExtentLocationCache cache, RpcClientFactory rpc, ClientConfig config,
      ClientMetrics metrics, io.netty.util.Timer timer) {
    this.info = info;
    this.closedScopes = new ClosedScopes("vid=" + info.getVid() + " volume=" + info.getName());
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

  /** The size as last learned from meta: it grows when this client sees a resize (a lookup, an open). */
  @Override
  public long size() {
    return cache.sizeBytes();
  }

  /** Adopts a size meta reported (the provider's re-validation at open), if larger. */
  void adoptSize(long sizeBytes) {
    cache.adoptSize(sizeBytes);
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
    return read(offset, length, detached);
  }

  /** {@link #read(long, int)} on behalf of {@code scope}. */
  public CompletableFuture<ByteBuf> read(long offset, int length, IoScope scope) {
    BasaltException bad = checkRange("read", offset, length);
    if (bad != null) {
      return metrics.time(Op.READ, afterResizeCheck(bad, "read", offset, length,
          () -> readInRange(offset, length, scope)));
    }
    return metrics.time(Op.READ, readInRange(offset, length, scope));
  }

  private CompletableFuture<ByteBuf> readInRange(long offset, int length, IoScope scope) {
    List<ExtentPart> parts = mapper.split(offset, length);
    List<CompletableFuture<ByteBuf>> pieces = new ArrayList<>(parts.size());
    CompletableFuture<Void> lookup = null;  // one per request, shared by all its misses
    for (ExtentPart p : parts) {
      if (cache.get(p.index()) != null) {
        pieces.add(readAllocated(p, scope));
      } else {
        lookup = lookup != null ? lookup : cache.sync();
        pieces.add(lookup.thenCompose(v -> readPart(p, scope)));
      }
    }
    return CompletableFuture.allOf(pieces.toArray(CompletableFuture[]::new))
        .handle((v, err) -> assemble(pieces, length));
  }

  /**
   * One extent's piece of a read, after a lookup sent after the read arrived (an extent missing from the cache may
   * have been allocated by another client): zeros only if the extent is still not cached, i.e. meta said unallocated.
   */
  private CompletableFuture<ByteBuf> readPart(ExtentPart p, IoScope scope) {
    if (cache.get(p.index()) == null) {
      return CompletableFuture.completedFuture(alloc.buffer(p.length()).writeZero(p.length()));
    }
    return readAllocated(p, scope);
  }

  private CompletableFuture<ByteBuf> readAllocated(ExtentPart p, IoScope scope) {
    return router.send(p.index(), loc -> Envelope.newBuilder().setRead(ReadRequest.newBuilder()
        .setPid(loc.pid()).setEpoch(loc.epoch()).setOffset(p.offsetInExtent()).setLength(p.length())), null, scope)
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
    return write(offset, data, fua, detached);
  }

  /** {@link #write(long, ByteBuf, boolean)} on behalf of {@code scope}. */
  public CompletableFuture<Void> write(long offset, ByteBuf data, boolean fua, IoScope scope) {
    List<CompletableFuture<Void>> pieces = new ArrayList<>();
    try {
      BasaltException bad = checkRange("write", offset, data.readableBytes());
      if (bad != null) {
        return metrics.time(Op.WRITE, CompletableFuture.failedFuture(bad));
      }
      for (ExtentPart p : mapper.split(offset, data.readableBytes())) {
        ByteBuf slice = data.retainedSlice(data.readerIndex() + (int) p.offsetInRequest(), p.length());
        pieces.add(writePart(p, WriteKind.WRITE, slice, fua, scope));
      }
    } finally {
      data.release();
    }
    return metrics.time(Op.WRITE, CompletableFuture.allOf(pieces.toArray(CompletableFuture[]::new)));
  }

  @Override
  public CompletableFuture<Void> trim(long offset, long length) {
    return trim(offset, length, detached);
  }

  /** {@link #trim(long, long)} on behalf of {@code scope}. */
  public CompletableFuture<Void> trim(long offset, long length, IoScope scope) {
    return metrics.time(Op.TRIM, writeWithoutData("trim", offset, length, WriteKind.TRIM, false, scope));
  }

  @Override
  public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
    return writeZeroes(offset, length, fua, detached);
  }

  /** {@link #writeZeroes(long, long, boolean)} on behalf of {@code scope}. */
  public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua, IoScope scope) {
    return metrics.time(Op.WRITE_ZEROES, writeWithoutData("writeZeroes", offset, length, WriteKind.WRITE_ZEROES,
        fua, scope));
  }

  /**
   * TRIM and WRITE_ZEROES: unallocated extents already read as zeros, so they are skipped (never allocated). An
   * extent missing from the cache is skipped only if a lookup sent after this request arrived finds it unallocated
   * (another client may have allocated and written it).
   */
  private CompletableFuture<Void> writeWithoutData(String op, long offset, long length, WriteKind kind,
      boolean fua, IoScope scope) {
    BasaltException bad = checkRange(op, offset, length);
    if (bad != null) {
      return afterResizeCheck(bad, op, offset, length, () -> writeWithoutData(op, offset, length, kind, fua, scope));
    }
    List<CompletableFuture<Void>> pieces = new ArrayList<>();
    CompletableFuture<Void> lookup = null;  // one per request, shared by all its misses
    for (ExtentPart p : mapper.split(offset, length)) {
      if (cache.get(p.index()) != null) {
        pieces.add(writePart(p, kind, null, fua, scope));
      } else {
        lookup = lookup != null ? lookup : cache.sync();
        pieces.add(lookup.thenCompose(v -> cache.get(p.index()) == null
            ? CompletableFuture.<Void>completedFuture(null) : writePart(p, kind, null, fua, scope)));
      }
    }
    return CompletableFuture.allOf(pieces.toArray(CompletableFuture[]::new));
  }

  /** One extent's piece of a write; owns {@code data} (may be null). Marks the extent dirty whatever the outcome. */
  private CompletableFuture<Void> writePart(ExtentPart p, WriteKind kind, ByteBuf data, boolean fua,
      IoScope scope) {
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
          .setKind(kind).setFua(fua).setVid(info.getVid())), data, scope)
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
    return flush(detached);
  }

  /** {@link #flush()} on behalf of {@code scope}. */
  public CompletableFuture<Void> flush(IoScope scope) {
    return metrics.time(Op.FLUSH, flushes.flush(scope));
  }

  /**
   * A handle for one user of this volume (one NBD connection): its I/O runs in its own {@link IoScope}, which its
   * {@link VolumeHandle#close()} cancels. Call {@link #awaitDrained} before serving a new user.
   */
  public VolumeHandle newHandle(String user) {
    return new VolumeHandle(this, new IoScope(user));
  }

  /** A closed handle's scope: tracked until its attempts on the wire have ended. */
  void closed(IoScope scope) {
    closedScopes.closed(scope);
  }

  /**
   * Waits until every closed handle's attempts have ended (blocking: off the event loops), at most {@code timeout};
   * see {@link ClosedScopes#awaitDrained}.
   */
  public void awaitDrained(Duration timeout) {
    closedScopes.awaitDrained(timeout);
  }

  /** Closed connections whose attempts may still land (for tests and status). */
  public int drainingConnections() {
    return closedScopes.draining();
  }

  /** INVALID_ARGUMENT for a range outside {@code [0, size())} (the size as last learned); null when inside. */
  private BasaltException checkRange(String op, long offset, long length) {
    long size = cache.sizeBytes();
    if (offset < 0 || length < 0 || offset > size || length > size - offset) {
      return new BasaltException(ErrorCode.INVALID_ARGUMENT, op + " out of range: offset=" + offset + " length="
          + length + " size=" + size + " vid=" + info.getVid() + " volume=" + info.getName(), false);
    }
    return null;
  }

  /**
   * An I/O that {@link #checkRange} refused ({@code bad}): when it ends past the size as last learned, the volume
   * may have grown meanwhile (a resize by another client), so it runs once a lookup sent after it arrived has
   * brought the size up to date, if it fits then; it fails with INVALID_ARGUMENT otherwise (also when meta could
   * not be asked).
   */
  private <T> CompletableFuture<T> afterResizeCheck(BasaltException bad, String op, long offset, long length,
      Supplier<CompletableFuture<T>> inRange) {
    if (offset < 0 || length < 0 || offset > Long.MAX_VALUE - length) {
      return CompletableFuture.failedFuture(bad);
    }
    return cache.sync().handle((v, err) -> {
      BasaltException still = err != null ? bad : checkRange(op, offset, length);
      return still == null ? inRange.get() : CompletableFuture.<T>failedFuture(still);
    }).thenCompose(f -> f);
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
