package io.basalt.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.GetVolumeRequest;
import io.basalt.proto.VolumeInfo;
import io.basalt.proto.VolumeResponse;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A server refuses a request whose deadline (its {@code deadline_ms} budget, counted from the receipt of the frame)
 * passed before dispatch: DEADLINE_EXCEEDED, retryable, the handler never called, the refusal counted.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RpcDeadlineTest {
  /** How long the "stall" handler holds the server's event loop: past the 5 ms budget of the request behind it. */
  private static final long STALL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  private final MetricRegistry registry = new MetricRegistry();
  private final List<String> handled = new CopyOnWriteArrayList<>();
  /** {@link RequestDeadline#current()} as each handler saw it, in handling order. */
  private final List<Long> deadlinesSeen = new CopyOnWriteArrayList<>();
  private RpcServer server;
  private RpcClientFactory clients;

  @BeforeEach
  void start() {
    server = RpcServer.builder("deadline").bind("127.0.0.1", 0).metrics(registry).ioThreads(1)
        .handle(Envelope.BodyCase.GET_VOLUME, req -> {
          String name = req.header().getGetVolume().getName();
          handled.add(name);
          deadlinesSeen.add(RequestDeadline.current());
          if (name.equals("stall")) {
            // Holds the event loop (a stand-in for a GC pause or a slow handler): the frames read with this one
            // wait behind it.
            long until = System.nanoTime() + STALL_NANOS;
            while (System.nanoTime() - until < 0) {
              LockSupport.parkNanos(until - System.nanoTime());
            }
          }
          return CompletableFuture.completedFuture(Reply.of(Envelope.newBuilder().setVolumeResponse(
              VolumeResponse.newBuilder().setVolume(VolumeInfo.newBuilder().setName(name)))));
        })
        .build().start();
    clients = new RpcClientFactory("deadline", registry);
  }

  @AfterEach
  void stop() {
    clients.close();
    server.close();
  }

  private static Envelope getVolume(long id, String name, int deadlineMs) {
    return Envelope.newBuilder().setRequestId(id).setDeadlineMs(deadlineMs)
        .setGetVolume(GetVolumeRequest.newBuilder().setName(name)).build();
  }

  private long refused() {
    return registry.counter("basalt_rpc_server_deadline_deadline_exceeded").getCount();
  }

  @Test
  void requestWhoseDeadlinePassedBeforeDispatchIsRefusedWithoutCallingItsHandler() throws IOException {
    // Three frames in one write, so one socket read: the second waits behind the stall past its 5 ms budget; the
    // third has no deadline (0) and is served however late.
    byte[] bytes = frames(getVolume(1, "stall", 10_000), getVolume(2, "late", 5), getVolume(3, "patient", 0));
    try (RawRpcSocket raw = new RawRpcSocket(server.port())) {
      raw.sendRaw(bytes);
      Envelope first = raw.read();
      Envelope second = raw.read();
      Envelope third = raw.read();

      assertThat(first.getRequestId()).isEqualTo(1);
      assertThat(first.getCode()).isEqualTo(ErrorCode.OK);
      assertThat(second.getRequestId()).isEqualTo(2);
      assertThat(second.getCode()).isEqualTo(ErrorCode.DEADLINE_EXCEEDED);
      assertThat(second.getRetryable()).isTrue();
      assertThat(second.getMessage()).contains("GET_VOLUME", "not executed");
      assertThat(third.getRequestId()).isEqualTo(3);
      assertThat(third.getCode()).isEqualTo(ErrorCode.OK);
    }
    assertThat(handled).containsExactly("stall", "patient");
    assertThat(refused()).isEqualTo(1);
    assertThat(deadlinesSeen.get(0)).as("the stall's 10 s budget").isNotEqualTo(RequestDeadline.NONE);
    assertThat(deadlinesSeen.get(1)).as("no budget, no deadline").isEqualTo(RequestDeadline.NONE);
  }

  @Test
  void requestWithinItsDeadlineIsServedAndNotCounted() {
    long sent = System.nanoTime();
    Envelope reply = clients.client(server.address())
        .call(Envelope.newBuilder().setGetVolume(GetVolumeRequest.newBuilder().setName("prompt")),
            Duration.ofSeconds(10)).join();

    assertThat(reply.getVolumeResponse().getVolume().getName()).isEqualTo("prompt");
    assertThat(handled).containsExactly("prompt");
    assertThat(refused()).isZero();
    // the handler ran with the request's deadline: its 10 s budget from the frame's receipt
    assertThat(deadlinesSeen).singleElement().satisfies(d -> assertThat(d - sent)
        .isGreaterThan(0).isLessThanOrEqualTo(TimeUnit.SECONDS.toNanos(10) + (System.nanoTime() - sent)));
  }

  @Test
  void lateByCountsTheBudgetFromReceiptOnThisProcessClock() {
    long received = 1_000_000_000L;
    Frame f = new Frame(getVolume(1, "x", 5), null, received);

    assertThat(RpcServerHandler.lateBy(f, received + TimeUnit.MILLISECONDS.toNanos(5))).isZero();
    assertThat(RpcServerHandler.lateBy(f, received + TimeUnit.MILLISECONDS.toNanos(7)))
        .isEqualTo(TimeUnit.MILLISECONDS.toNanos(2));
    // no budget, or a frame not read from a socket: never late
    assertThat(RpcServerHandler.lateBy(new Frame(getVolume(1, "x", 0), null, received), Long.MAX_VALUE)).isNotPositive();
    assertThat(RpcServerHandler.lateBy(new Frame(getVolume(1, "x", 5), null), Long.MAX_VALUE)).isNotPositive();
  }

  @Test
  void clientSeesDeadlineExceededAsARetryableErrorThatWasNotExecuted() {
    Envelope reply = Envelope.newBuilder().setRequestId(9).setResponse(true).setCode(ErrorCode.DEADLINE_EXCEEDED)
        .setRetryable(true).setMessage("late").build();

    BasaltException e = RpcErrors.fromEnvelope(reply);

    assertThat(e.code()).isEqualTo(ErrorCode.DEADLINE_EXCEEDED);
    assertThat(Retryability.isRetryable(e)).isTrue();
    assertThat(Retryability.isRetryableAfterRefresh(e)).isTrue();
    assertThat(new BasaltException(ErrorCode.DEADLINE_EXCEEDED, "thrown without a flag").retryable()).isTrue();
  }

  private static byte[] frames(Envelope... headers) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    for (Envelope h : headers) {
      byte[] header = h.toByteArray();
      out.writeInt(5 + header.length);
      out.writeByte(FrameDecoder.PROTOCOL_VERSION);
      out.writeInt(header.length);
      out.write(header);
    }
    out.flush();
    return bytes.toByteArray();
  }
}
