package io.basalt.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.GetVolumeRequest;
import io.basalt.proto.VolumeInfo;
import io.basalt.proto.VolumeResponse;
import io.basalt.proto.WriteRequest;
import io.basalt.proto.WriteResponse;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * TESTPLAN section 5 against a real server on 127.0.0.1: hostile length prefixes, decodable nonsense, slowloris,
 * the connection cap and the per-connection in-flight cap. After each abuse a well-behaved client is still served.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RpcServerHardeningTest {
  private static final Duration CALL = Duration.ofSeconds(5);
  private final MetricRegistry registry = new MetricRegistry();
  private final Queue<CompletableFuture<Reply>> held = new ConcurrentLinkedQueue<>();
  private final AtomicInteger writesSeen = new AtomicInteger();
  private final ScheduledExecutorService trickler = Executors.newSingleThreadScheduledExecutor();
  private volatile boolean holdWrites = true;
  private RpcServer server;
  private RpcClientFactory clients;

  private RpcServer start(ConnectionLimits limits) {
    server = RpcServer.builder("hardening").bind("127.0.0.1", 0).metrics(registry)
        .limits(new FrameLimits(64 * 1024, 4096)).connectionLimits(limits)
        .handle(Envelope.BodyCase.GET_VOLUME, req -> {
          String name = req.header().getGetVolume().getName();
          if (name.equals("invalid")) {
            throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "hostile name");
          }
          return CompletableFuture.completedFuture(Reply.of(Envelope.newBuilder().setVolumeResponse(
              VolumeResponse.newBuilder().setVolume(VolumeInfo.newBuilder().setName(name)))));
        })
        // WRITE answers only when the test lets it: requests stay in flight meanwhile
        .handle(Envelope.BodyCase.WRITE, req -> {
          writesSeen.incrementAndGet();
          CompletableFuture<Reply> f = new CompletableFuture<>();
          held.add(f);
          if (!holdWrites) releaseHeld();
          return f;
        })
        .build().start();
    clients = new RpcClientFactory("hardening", registry);
    return server;
  }

  private void releaseHeld() {
    CompletableFuture<Reply> f;
    while ((f = held.poll()) != null) {
      f.complete(Reply.of(Envelope.newBuilder().setWriteResponse(WriteResponse.newBuilder().setGen(1))));
    }
  }

  @AfterEach
  void stop() {
    trickler.shutdownNow();
    holdWrites = false;
    releaseHeld();
    if (clients != null) clients.close();
    if (server != null) server.close();
  }

  private static Envelope getVolume(long id, String name) {
    return Envelope.newBuilder().setRequestId(id).setGetVolume(GetVolumeRequest.newBuilder().setName(name)).build();
  }

  private void assertWellBehavedClientServed() {
    Envelope r = clients.client(server.address()).call(getVolume(0, "healthy").toBuilder(), CALL).join();
    assertThat(r.getVolumeResponse().getVolume().getName()).isEqualTo("healthy");
  }

  @ParameterizedTest
  @ValueSource(ints = {Integer.MAX_VALUE, -1, 0, 3, 64 * 1024 + 1})
  void hostileLengthPrefixClosesThatConnectionOnly(int prefix) throws Exception {
    start(ConnectionLimits.DEFAULT);
    assertWellBehavedClientServed();
    try (RawRpcSocket s = new RawRpcSocket(server.port())) {
      s.sendRaw(ByteBuffer.allocate(4).putInt(prefix).array());
      Envelope refusal = s.read();
      assertThat(refusal.getCode()).isIn(ErrorCode.FRAME_TOO_LARGE, ErrorCode.MALFORMED_FRAME);
      assertThat(s.closedByServer()).isTrue();
    }
    assertWellBehavedClientServed();
    assertThat(registry.counter("basalt_rpc_server_hardening_refused_frames").getCount()).isEqualTo(1);
  }

  @Test
  void aTakenPortIsAClearErrorNotAnUndeclaredIoException() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      RpcServer.Builder b = RpcServer.builder("taken").bind("127.0.0.1", taken.getLocalPort()).metrics(registry);
      assertThatThrownBy(() -> b.build().start())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("cannot listen on 127.0.0.1:" + taken.getLocalPort());
    }
  }

  @Test
  void decodableNonsenseGetsAnErrorReplyAndKeepsTheConnection() throws Exception {
    start(ConnectionLimits.DEFAULT);
    try (RawRpcSocket s = new RawRpcSocket(server.port())) {
      s.send(Envelope.newBuilder().setRequestId(11).build(), null); // no body at all
      Envelope noBody = s.read();
      assertThat(noBody.getRequestId()).isEqualTo(11);
      assertThat(noBody.getCode()).isEqualTo(ErrorCode.UNKNOWN_METHOD);

      byte[] unknownOneof = new byte[] {0x08, 12, (byte) 0xc2, 0x0f, 0x02, 0x08, 0x01}; // id 12, field 248: {1: 1}
      s.sendHeader(unknownOneof, null);
      Envelope unknown = s.read();
      assertThat(unknown.getRequestId()).isEqualTo(12);
      assertThat(unknown.getCode()).isEqualTo(ErrorCode.UNKNOWN_METHOD);

      s.send(getVolume(13, "invalid"), null);
      Envelope invalid = s.read();
      assertThat(invalid.getCode()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
      assertThat(invalid.getMessage()).contains("hostile name");

      s.send(Envelope.newBuilder().setRequestId(14).setResponse(true).setCode(ErrorCode.OK).build(), null);
      s.send(getVolume(15, "after"), null); // the same connection still serves
      Envelope after = s.read();
      assertThat(after.getRequestId()).isEqualTo(15);
      assertThat(after.getVolumeResponse().getVolume().getName()).isEqualTo("after");
    }
  }

  @Test
  void slowlorisTricklingAFrameIsClosedByTheIdleTimeout() throws Exception {
    start(ConnectionLimits.DEFAULT.withIdleTimeout(Duration.ofSeconds(1)));
    try (RawRpcSocket s = new RawRpcSocket(server.port())) {
      byte[] frame = frameOf(getVolume(1, "slow".repeat(50)));
      AtomicInteger sent = new AtomicInteger();
      trickler.scheduleAtFixedRate(() -> {
        int i = sent.getAndIncrement();
        if (i < frame.length) {
          try {
            s.sendRaw(new byte[] {frame[i]});
          } catch (Exception e) {
            // closed by the server: what this test waits for
          }
        }
      }, 0, 100, TimeUnit.MILLISECONDS);
      long start = System.nanoTime();
      assertThat(s.closedByServer()).isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(900));
      assertThat(sent.get()).as("bytes trickled before the close").isLessThan(frame.length);
    }
    assertThat(registry.counter("basalt_rpc_server_hardening_idle_closed").getCount()).isEqualTo(1);
    assertWellBehavedClientServed();
  }

  @Test
  void idleTimeoutSparesConnectionsWithRequestsInFlightAndThoseThatKeepTalking() throws Exception {
    start(ConnectionLimits.DEFAULT.withIdleTimeout(Duration.ofSeconds(1)));
    try (RawRpcSocket waiting = new RawRpcSocket(server.port());
        RawRpcSocket chatty = new RawRpcSocket(server.port())) {
      waiting.send(Envelope.newBuilder().setRequestId(1).setWrite(WriteRequest.getDefaultInstance()).build(), null);
      await().atMost(Duration.ofSeconds(5)).until(() -> writesSeen.get() == 1);
      AtomicInteger pings = new AtomicInteger();
      trickler.scheduleAtFixedRate(() -> {
        try {
          chatty.send(getVolume(pings.incrementAndGet(), "ping"), null);
          chatty.read();
        } catch (Exception e) {
          pings.set(-1_000_000);
        }
      }, 0, 300, TimeUnit.MILLISECONDS);
      // three idle timeouts pass: the waiting connection has a request in flight, the chatty one completes frames
      await().during(Duration.ofMillis(3000)).atMost(Duration.ofSeconds(6))
          .until(() -> server.connections() == 2 && pings.get() >= 0);
      assertThat(registry.counter("basalt_rpc_server_hardening_idle_closed").getCount()).isZero();

      releaseHeld(); // the reply goes out; the waiting connection is idle from here on
      assertThat(waiting.read().getWriteResponse().getGen()).isEqualTo(1);
      assertThat(waiting.closedByServer()).isTrue();
      assertThat(pings.get()).isPositive();
    }
  }

  @Test
  void connectionsAboveTheCapAreRefusedAndTheOthersStillServed() throws Exception {
    start(ConnectionLimits.DEFAULT.withMaxConnections(8));
    List<RawRpcSocket> open = new ArrayList<>();
    try {
      for (int i = 0; i < 8; i++) {
        RawRpcSocket s = new RawRpcSocket(server.port());
        open.add(s);
        assertThat(s.send(getVolume(i, "c" + i), null).read().getCode()).isEqualTo(ErrorCode.OK);
      }
      try (RawRpcSocket ninth = new RawRpcSocket(server.port())) {
        Envelope refusal = ninth.read();
        assertThat(refusal.getCode()).isEqualTo(ErrorCode.UNAVAILABLE);
        assertThat(refusal.getRetryable()).isTrue();
        assertThat(refusal.getMessage()).contains("too many connections");
        assertThat(ninth.closedByServer()).isTrue();
      }
      for (int i = 0; i < 8; i++) {
        assertThat(open.get(i).send(getVolume(100 + i, "again"), null).read().getRequestId()).isEqualTo(100 + i);
      }
      assertThat(registry.counter("basalt_rpc_server_hardening_refused_connections").getCount()).isEqualTo(1);

      open.remove(0).close(); // a slot frees up once the server has seen the close
      await().atMost(Duration.ofSeconds(5)).until(() -> server.connections() == 7);
      try (RawRpcSocket late = new RawRpcSocket(server.port())) {
        assertThat(late.send(getVolume(200, "late"), null).read().getCode()).isEqualTo(ErrorCode.OK);
      }
    } finally {
      for (RawRpcSocket s : open) s.close();
    }
  }

  @Test
  void pipelinedRequestsAboveTheInFlightCapStopReadingUntilRepliesDrain() {
    int requestBytes = 16 * 1024;
    start(ConnectionLimits.DEFAULT.withMaxInFlight(64 * 1024, 1000));
    RpcClient c = clients.client(server.address());
    List<CompletableFuture<Frame>> calls = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      calls.add(c.call(Envelope.newBuilder().setWrite(WriteRequest.newBuilder().setLength(requestBytes)),
          Unpooled.wrappedBuffer(new byte[requestBytes]), Duration.ofSeconds(30)));
    }
    await().atMost(Duration.ofSeconds(10))
        .until(() -> registry.counter("basalt_rpc_server_hardening_read_pauses").getCount() >= 1);
    // the cap (4 requests' worth) plus what one socket read and the frame in progress can still bring
    await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() -> writesSeen.get() <= 16);
    assertThat(calls).noneMatch(CompletableFuture::isDone);

    holdWrites = false;
    releaseHeld();
    CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
    calls.forEach(f -> f.join().release());
    assertThat(writesSeen.get()).isEqualTo(100);
    assertThat(server.connections()).isEqualTo(1); // slowed down, never cut off
  }

  @Test
  void clientsReconnectTransparentlyAfterAnIdleClose() {
    start(ConnectionLimits.DEFAULT.withIdleTimeout(Duration.ofSeconds(1)));
    RpcClient c = clients.client(server.address());
    c.call(getVolume(0, "one").toBuilder(), CALL).join();
    await().atMost(Duration.ofSeconds(5)).until(() -> server.connections() == 0); // the server closed it
    assertThat(c.call(getVolume(0, "two").toBuilder(), CALL).join().getVolumeResponse().getVolume().getName())
        .isEqualTo("two");

    // a client closes its own idle connections first (here after 200 ms, before the server's 1 s), and calls
    // after that reconnect too
    clients.close();
    await().atMost(Duration.ofSeconds(5)).until(() -> server.connections() == 0);
    long serverClosed = registry.counter("basalt_rpc_server_hardening_idle_closed").getCount();
    try (RpcClientFactory eager = new RpcClientFactory("eager", registry, 1, FrameLimits.DEFAULT,
        Duration.ofSeconds(3), Duration.ofMillis(200))) {
      RpcClient e = eager.client(server.address());
      for (int i = 0; i < 3; i++) {
        assertThat(e.call(getVolume(0, "eager" + i).toBuilder(), CALL).join().getCode()).isEqualTo(ErrorCode.OK);
        await().atMost(Duration.ofSeconds(5)).until(() -> server.connections() == 0);
      }
    }
    assertThat(registry.counter("basalt_rpc_server_hardening_idle_closed").getCount()).isEqualTo(serverClosed);
  }

  private static byte[] frameOf(Envelope header) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    byte[] h = header.toByteArray();
    out.writeInt(5 + h.length);
    out.writeByte(1);
    out.writeInt(h.length);
    out.write(h);
    return bytes.toByteArray();
  }
}
