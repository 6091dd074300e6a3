package io.basalt.chunk;

import com.codahale.metrics.MetricRegistry;
import io.basalt.proto.Envelope;
import io.basalt.proto.FlushRequest;
import io.basalt.proto.ListReplicasRequest;
import io.basalt.proto.ListReplicasResponse;
import io.basalt.proto.ReadRequest;
import io.basalt.proto.ReplicaStatusRequest;
import io.basalt.proto.ReplicaStatusResponse;
import io.basalt.proto.ReplicateRequest;
import io.basalt.proto.WriteKind;
import io.basalt.proto.WriteRequest;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.Frame;
import io.basalt.rpc.RpcClientFactory;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** Test-side RPC calls to chunk servers; every reply frame is released here. */
final class ChunkTestClient implements AutoCloseable {
  private static final Duration DEADLINE = Duration.ofSeconds(30);
  private final RpcClientFactory rpc = new RpcClientFactory("test", new MetricRegistry());

  /** Raw call for the test-only admin messages; the caller releases the frame. */
  CompletableFuture<Frame> call(String address, Envelope.Builder request, ByteBuf data) {
    return rpc.client(address).call(request, data, DEADLINE);
  }

  /** As {@link #call(String, Envelope.Builder, ByteBuf)} with the request's own deadline. */
  CompletableFuture<Frame> call(String address, Envelope.Builder request, ByteBuf data,
      Duration deadline) {
    return rpc.client(address).call(request, data, deadline);
  }

  CompletableFuture<Long> write(String address, long pid, long offset, byte[] data, boolean fua) {
    WriteRequest.Builder w = WriteRequest.newBuilder().setPid(pid).setOffset(offset).setLength(data.length)
        .setKind(WriteKind.WRITE).setFua(fua);
    return rpc.client(address).call(Envelope.newBuilder().setWrite(w), Unpooled.wrappedBuffer(data), DEADLINE)
        .thenApply(f -> {
          f.release();
          return f.header().getWriteResponse().getGen();
        });
  }

  /**
   * A write of {@code data} at offset 0 sent as is, at {@code epoch} (0: none) with the request's own deadline; the
   * reply frame is released (its header stays readable).
   */
  CompletableFuture<Frame> rawWrite(String address, long pid, long epoch, byte[] data, Duration deadline) {
    WriteRequest.Builder w = WriteRequest.newBuilder().setPid(pid).setEpoch(epoch).setOffset(0)
        .setLength(data.length).setKind(WriteKind.WRITE);
    return rpc.client(address).call(Envelope.newBuilder().setWrite(w), Unpooled.wrappedBuffer(data), deadline)
        .thenApply(f -> {
          f.release();
          return f;
        });
  }

  CompletableFuture<Long> zeroes(String address, long pid, long offset, int length, WriteKind kind) {
    WriteRequest.Builder w = WriteRequest.newBuilder().setPid(pid).setOffset(offset).setLength(length).setKind(kind);
    return rpc.client(address).call(Envelope.newBuilder().setWrite(w), DEADLINE)
        .thenApply(e -> e.getWriteResponse().getGen());
  }

  byte[] read(String address, long pid, long offset, int length) {
    return readAsync(address, pid, offset, length).join();
  }

  CompletableFuture<byte[]> readAsync(String address, long pid, long offset, int length) {
    return rpc.client(address).call(Envelope.newBuilder().setRead(ReadRequest.newBuilder().setPid(pid)
        .setOffset(offset).setLength(length)), null, DEADLINE).thenApply(f -> {
          try {
            return ByteBufUtil.getBytes(f.data());
          } finally {
            f.release();
          }
        });
  }

  ReplicaStatusResponse status(String address, long pid) {
    return rpc.client(address).call(Envelope.newBuilder().setReplicaStatus(ReplicaStatusRequest.newBuilder()
        .setPid(pid)), DEADLINE).join().getReplicaStatusResponse();
  }

  ListReplicasResponse list(String address) {
    return rpc.client(address).call(Envelope.newBuilder().setListReplicas(ListReplicasRequest.getDefaultInstance()),
        DEADLINE).join().getListReplicasResponse();
  }

  CompletableFuture<Envelope> flush(String address, long... pids) {
    FlushRequest.Builder f = FlushRequest.newBuilder();
    for (long pid : pids) f.addPids(pid);
    return rpc.client(address).call(Envelope.newBuilder().setFlush(f), DEADLINE);
  }

  /** Sends a raw Replicate (as an owner would); data may be null. Completes with applied_gen. */
  CompletableFuture<Long> replicate(String address, ReplicateRequest r, byte[] data) {
    return rpc.client(address).call(Envelope.newBuilder().setReplicate(r),
            data == null ? null : Unpooled.wrappedBuffer(data), DEADLINE)
        .thenApply(f -> {
          long gen = f.header().getReplicateResponse().getAppliedGen();
          f.release();
          return gen;
        });
  }

  /** The BasaltException a failed call completed with. */
  static BasaltException failure(CompletableFuture<?> f) {
    try {
      f.join();
    } catch (RuntimeException e) {
      return BasaltException.of(e);
    }
    throw new AssertionError("call succeeded but a failure was expected");
  }

  @Override
  public void close() {
    rpc.close();
  }
}
