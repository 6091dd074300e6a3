package io.basalt.client.io;

import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.FlushResponse;
import io.basalt.proto.ReadResponse;
import io.basalt.proto.WriteKind;
import io.basalt.proto.WriteResponse;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.Frame;
import io.basalt.rpc.Reply;
import io.basalt.rpc.RpcServer;
import io.basalt.rpc.StaleEpochException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * An in-memory chunk server on 127.0.0.1 port 0. Every fake chunk shares one byte store keyed by pid (so replicas
 * agree by construction); each has its own counters and scripted failures: errors answered once each, in order, or a
 * standing error (NOT_OWNER redirect) for every request. Requests below meta's epoch answer STALE_EPOCH.
 */
final class FakeChunk implements AutoCloseable {
  /** Bytes of every extent, shared by all fake chunks. */
  static final class Store {
    private final Map<Long, byte[]> extents = new ConcurrentHashMap<>();

    byte[] extent(ExtentInfo e) {
      return extents.computeIfAbsent(e.getPid(), p -> new byte[(int) e.getExtentSize()]);
    }

    boolean has(long pid) {
      return extents.containsKey(pid);
    }
  }

  private final int cid;
  private final Store store;
  private volatile FakeMeta meta;
  private final AtomicLong gen = new AtomicLong();
  final AtomicInteger writes = new AtomicInteger();
  final AtomicInteger reads = new AtomicInteger();
  /** Every request, including those answered with a scripted or standing error. */
  final AtomicInteger attempts = new AtomicInteger();
  final List<List<Long>> flushes = Collections.synchronizedList(new ArrayList<>());
  /** Answered once each, in order, before any real handling. */
  final ConcurrentLinkedDeque<BasaltException> scripted = new ConcurrentLinkedDeque<>();
  /** Answered to every request while set. */
  volatile BasaltException standing;
  /** While set and not complete, requests are held unanswered (a silent chunk); complete it to answer them. */
  volatile CompletableFuture<Void> gate;
  private final RpcServer server;

  FakeChunk(int cid, Store store) {
    this.cid = cid;
    this.store = store;
    this.server = RpcServer.builder("fake-chunk-" + cid).bind("127.0.0.1", 0)
        .handle(Envelope.BodyCase.WRITE, req -> serve(() -> write(req)))
        .handle(Envelope.BodyCase.READ, req -> serve(() -> read(req)))
        .handle(Envelope.BodyCase.FLUSH, req -> serve(() -> {
          flushes.add(List.copyOf(req.header().getFlush().getPidsList()));
          return Reply.of(Envelope.newBuilder().setFlushResponse(FlushResponse.getDefaultInstance()));
        }))
        .build().start();
  }

  void attach(FakeMeta meta) {
    this.meta = meta;
  }

  int cid() {
    return cid;
  }

  String address() {
    return server.address();
  }

  private Reply write(Frame req) {
    writes.incrementAndGet();
    var w = req.header().getWrite();
    byte[] bytes = extentChecked(w.getPid(), w.getEpoch(), w.getOffset(), w.getLength());
    synchronized (bytes) {
      if (w.getKind() == WriteKind.WRITE) {
        ByteBuf data = req.data();
        if (data.readableBytes() != w.getLength()) {
          throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "length " + w.getLength() + " but "
              + data.readableBytes() + " data bytes", false);
        }
        data.getBytes(data.readerIndex(), bytes, (int) w.getOffset(), w.getLength());
      } else {
        Arrays.fill(bytes, (int) w.getOffset(), (int) w.getOffset() + w.getLength(), (byte) 0);
      }
    }
    return Reply.of(Envelope.newBuilder().setWriteResponse(WriteResponse.newBuilder().setGen(gen.incrementAndGet())));
  }

  private Reply read(Frame req) {
    reads.incrementAndGet();
    var r = req.header().getRead();
    byte[] bytes = extentChecked(r.getPid(), r.getEpoch(), r.getOffset(), r.getLength());
    ByteBuf out = ByteBufAllocator.DEFAULT.buffer(r.getLength());
    synchronized (bytes) {
      out.writeBytes(bytes, (int) r.getOffset(), r.getLength());
    }
    return Reply.of(Envelope.newBuilder().setReadResponse(ReadResponse.newBuilder().setGen(gen.get())), out);
  }

  private byte[] extentChecked(long pid, long epoch, long offset, int length) {
    ExtentInfo e = meta.byPid(pid);
    if (epoch < e.getEpoch()) {
      throw new StaleEpochException(e.getEpoch(), "pid=" + pid + " epoch=" + epoch + " below " + e.getEpoch());
    }
    if (offset < 0 || length < 0 || offset + length > e.getExtentSize()) {
      throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "pid=" + pid + " range outside extent", false);
    }
    return store.extent(e);
  }

  private CompletableFuture<Reply> serve(Supplier<Reply> handler) {
    attempts.incrementAndGet();
    CompletableFuture<Void> held = gate;
    if (held != null && !held.isDone()) {
      return held.thenCompose(v -> serve(handler));
    }
    BasaltException fail = standing != null ? standing : scripted.poll();
    if (fail != null) {
      return CompletableFuture.failedFuture(fail);
    }
    try {
      return CompletableFuture.completedFuture(handler.get());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public void close() {
    server.close();
  }
}
