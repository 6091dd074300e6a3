package io.basalt.client;

import io.basalt.client.io.ClientConfig;
import io.basalt.client.io.ClientMetrics;
import io.basalt.client.io.ClientMetrics.Op;
import io.basalt.client.io.FlushTracker;
import io.basalt.client.io.IoRouter;
import io.basalt.client.io.IoScope;
import io.basalt.client.layout.ExtentLocation;
import io.basalt.client.layout.ExtentLocationCache;
import io.basalt.client.layout.ExtentMapper;
import io.basalt.client.layout.ExtentPart;
import io.basalt.client.volume.IoCallback;
import io.basalt.client.volume.Volume;
import io.basalt.common.MonotonicClock;
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
import io.netty.util.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A volume served by the cluster: splits I/O at extent boundaries ({@link ExtentMapper}), finds or allocates each
 * extent ({@link ExtentLocationCache}), sends each piece to the extent's lease owner ({@link IoRouter}) and tracks
 * what the next flush must sync ({@link FlushTracker}). Pieces run in parallel; a read is reassembled in order.
 * A request inside one extent (almost all: extents are hundreds of MiB) is ONE chunk request whatever its length,
 * its payload passed through as is, and it completes through direct callbacks ({@link IoCallback}), with no future
 * per step; a read's reply data is handed on without a copy.
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
      ClientMetrics metrics, Timer timer, MonotonicClock clock) {
    this.info = info;
    this.closedScopes = new ClosedScopes("vid=" + info.getVid() + " volume=" + info.getName());
    this.mapper = new ExtentMapper(info.getExtentSize());
    this.cache = cache;
    this.metrics = metrics;
    this.router = new IoRouter(info.getVid(), rpc, cache, config, metrics, timer, clock);
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

  @Override
  public void read(long offset, int length, IoCallback<ByteBuf> done) {
    read(offset, length, detached, done);
  }

  /**
   * {@link #read(long, int, IoScope)} completing {@code done} directly: a read inside one cached extent is one
   * routed request whose reply data is the result; anything else takes the general path.
   */
  public void read(long offset, int length, IoScope scope, IoCallback<ByteBuf> done) {
    long start = System.nanoTime();
    ExtentLocation loc;
    if (length > 0 && checkRange("read", offset, length) == null
        && mapper.indexOf(offset) == mapper.indexOf(offset + length - 1)
        && (loc = cache.get(mapper.indexOf(offset))) != null) {
      ExtentPart p = new ExtentPart(loc.index(), offset & (mapper.extentSize() - 1), length, 0);
      PartRead r = new PartRead(p, start, done);
      router.send(p.index(), r, null, scope, r);
      return;
    }
    CompletableFuture<ByteBuf> f;
    try {
      f = read(offset, length, scope);
    } catch (RuntimeException e) {
      done.done(null, e);
      return;
    }
    f.whenComplete(done::done);
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
    CompletableFuture<Void> f = new CompletableFuture<>();
    write(offset, data, fua, scope, IoCallback.of(f));
    return f;
  }

  @Override
  public void write(long offset, ByteBuf data, boolean fua, IoCallback<Void> done) {
    write(offset, data, fua, detached, done);
  }

  /**
   * {@link #write(long, ByteBuf, boolean, IoScope)} completing {@code done} directly. A write inside one extent
   * (any length, 1 MiB included) is ONE chunk request carrying {@code data} itself; one across extents is one
   * request per extent, each with a slice of it.
   */
  public void write(long offset, ByteBuf data, boolean fua, IoScope scope, IoCallback<Void> done) {
    long start = System.nanoTime();
    int length = data.readableBytes();
    BasaltException bad = checkRange("write", offset, length);
    if (bad != null || length == 0) {
      data.release();
      metrics.record(Op.WRITE, start, bad == null);
      done.done(null, bad);
      return;
    }
    int first = mapper.indexOf(offset);
    if (first == mapper.indexOf(offset + length - 1)) {
      writePart(new ExtentPart(first, offset & (mapper.extentSize() - 1), length, 0), WriteKind.WRITE, data, fua,
          scope, new Timed(Op.WRITE, start, done));
      return;
    }
    List<ExtentPart> parts = mapper.split(offset, length);
    Join join = new Join(parts.size(), new Timed(Op.WRITE, start, done));
    try {
      for (ExtentPart p : parts) {
        ByteBuf slice = data.retainedSlice(data.readerIndex() + (int) p.offsetInRequest(), p.length());
        writePart(p, WriteKind.WRITE, slice, fua, scope, join);
      }
    } finally {
      data.release();
    }
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
    CompletableFuture<Void> f = new CompletableFuture<>();
    writePart(p, kind, data, fua, scope, IoCallback.of(f));
    return f;
  }

  /** {@link #writePart(ExtentPart, WriteKind, ByteBuf, boolean, IoScope)} completing {@code done}. */
  private void writePart(ExtentPart p, WriteKind kind, ByteBuf data, boolean fua, IoScope scope,
      IoCallback<Void> done) {
    PartWrite w = new PartWrite(p, kind, fua, done);
    ExtentLocation known = cache.get(p.index());
    if (known != null) {
      w.send(known, data, scope);
      return;
    }
    cache.getOrAllocate(p.index()).whenComplete((loc, err) -> {
      if (err != null) {
        if (data != null) {
          data.release();
        }
        done.done(null, BasaltException.of(err));
      } else {
        w.send(loc, data, scope);
      }
    });
  }

  /** One extent's piece of a write: builds its request from the extent's location and takes its reply. */
  private final class PartWrite implements Function<ExtentLocation, Envelope.Builder>, IoCallback<Frame> {
    private final ExtentPart p;
    private final WriteKind kind;
    private final boolean fua;
    private final IoCallback<Void> done;
    private long pid;

    PartWrite(ExtentPart p, WriteKind kind, boolean fua, IoCallback<Void> done) {
      this.p = p;
      this.kind = kind;
      this.fua = fua;
      this.done = done;
    }

    void send(ExtentLocation loc, ByteBuf data, IoScope scope) {
      pid = loc.pid();
      router.send(p.index(), this, data, scope, this);
    }

    @Override
    public Envelope.Builder apply(ExtentLocation l) {
      return Envelope.newBuilder().setWrite(WriteRequest.newBuilder().setPid(l.pid()).setEpoch(l.epoch())
          .setOffset(p.offsetInExtent()).setLength(p.length()).setKind(kind).setFua(fua).setVid(info.getVid()));
    }

    @Override
    public void done(Frame frame, Throwable failure) {
      if (frame != null) {
        frame.release();
      }
      if (!fua || failure != null) {
        flushes.markDirty(p.index(), pid);
      }
      done.done(null, failure == null ? null : BasaltException.of(failure));
    }
  }

  /** A read inside one cached extent: one request, whose reply data is the result (not copied). */
  private final class PartRead implements Function<ExtentLocation, Envelope.Builder>, IoCallback<Frame> {
    private final ExtentPart p;
    private final long start;
    private final IoCallback<ByteBuf> done;

    PartRead(ExtentPart p, long start, IoCallback<ByteBuf> done) {
      this.p = p;
      this.start = start;
      this.done = done;
    }

    @Override
    public Envelope.Builder apply(ExtentLocation loc) {
      return Envelope.newBuilder().setRead(ReadRequest.newBuilder().setPid(loc.pid()).setEpoch(loc.epoch())
          .setOffset(p.offsetInExtent()).setLength(p.length()));
    }

    @Override
    public void done(Frame frame, Throwable failure) {
      ByteBuf data = null;
      BasaltException error = null;
      if (failure != null) {
        error = BasaltException.of(failure);
      } else {
        try {
          data = takeData(frame, p);
        } catch (BasaltException e) {
          error = e;
        }
      }
      metrics.record(Op.READ, start, error == null);
      done.done(data, error);
    }
  }

  /** Records the I/O's time in the metrics, then completes {@code done}. */
  private final class Timed implements IoCallback<Void> {
    private final Op op;
    private final long start;
    private final IoCallback<Void> done;

    Timed(Op op, long start, IoCallback<Void> done) {
      this.op = op;
      this.start = start;
      this.done = done;
    }

    @Override
    public void done(Void result, Throwable error) {
      metrics.record(op, start, error == null);
      done.done(null, error);
    }
  }

  /** Completes {@code done} once {@code n} pieces have, with the first failure if any. */
  private static final class Join implements IoCallback<Void> {
    private final AtomicInteger left;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final IoCallback<Void> done;

    Join(int n, IoCallback<Void> done) {
      this.left = new AtomicInteger(n);
      this.done = done;
    }

    @Override
    public void done(Void result, Throwable error) {
      if (error != null) {
        failure.compareAndSet(null, error);
      }
      if (left.decrementAndGet() == 0) {
        done.done(null, failure.get());
      }
    }
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
