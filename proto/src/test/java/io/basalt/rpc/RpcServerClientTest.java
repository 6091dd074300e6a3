package io.basalt.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.codahale.metrics.MetricRegistry;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.GetVolumeRequest;
import io.basalt.proto.ReadRequest;
import io.basalt.proto.ReadResponse;
import io.basalt.proto.VolumeInfo;
import io.basalt.proto.VolumeResponse;
import io.basalt.proto.WriteRequest;
import io.basalt.proto.WriteResponse;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RpcServerClientTest {
  private final MetricRegistry registry = new MetricRegistry();
  private final CompletableFuture<Reply> never = new CompletableFuture<>();
  private RpcServer server;
  private RpcClientFactory clients;

  @BeforeEach
  void start() {
    server = RpcServer.builder("test").bind("127.0.0.1", 0).metrics(registry)
        .limits(new FrameLimits(64 * 1024, 4096))
        .handle(Envelope.BodyCase.GET_VOLUME, req -> {
          String name = req.header().getGetVolume().getName();
          if (name.equals("missing")) {
            return CompletableFuture.failedFuture(new BasaltException(ErrorCode.NO_SUCH_VOLUME, "no volume " + name));
          }
          if (name.equals("throw")) {
            throw new IllegalStateException("boom");
          }
          if (name.equals("leader")) {
            return CompletableFuture.failedFuture(new NotLeaderException("10.0.0.1:7000", "follower"));
          }
          if (name.equals("slow")) {
            return never;
          }
          return CompletableFuture.completedFuture(Reply.of(Envelope.newBuilder().setVolumeResponse(
              VolumeResponse.newBuilder().setVolume(VolumeInfo.newBuilder().setName(name).setSizeBytes(42)))));
        })
        .handle(Envelope.BodyCase.WRITE, req -> {
          // echo the payload back as a read response so data travels both ways
          ByteBuf copy = req.data().retainedDuplicate();
          return CompletableFuture.completedFuture(Reply.of(Envelope.newBuilder()
              .setReadResponse(ReadResponse.newBuilder().setGen(req.header().getWrite().getLength())), copy));
        })
        .build().start();
    clients = new RpcClientFactory("test", registry);
  }

  @AfterEach
  void stop() {
    clients.close();
    server.close();
  }

  private Envelope.Builder getVolume(String name) {
    return Envelope.newBuilder().setGetVolume(GetVolumeRequest.newBuilder().setName(name));
  }

  @Test
  void roundTripsHeaderAndData() {
    RpcClient c = clients.client(server.address());
    Envelope r = c.call(getVolume("v1"), Duration.ofSeconds(5)).join();
    assertThat(r.getCode()).isEqualTo(ErrorCode.OK);
    assertThat(r.getVolumeResponse().getVolume().getName()).isEqualTo("v1");

    byte[] payload = new byte[10_000];
    new Random(7).nextBytes(payload);
    Frame f = c.call(Envelope.newBuilder().setWrite(WriteRequest.newBuilder().setLength(payload.length)),
        Unpooled.wrappedBuffer(payload), Duration.ofSeconds(5)).join();
    try {
      assertThat(f.header().getReadResponse().getGen()).isEqualTo(payload.length);
      assertThat(ByteBufUtil.getBytes(f.data())).isEqualTo(payload);
    } finally {
      f.release();
    }
    assertThat(registry.timer("basalt_rpc_server_test_write").getCount()).isEqualTo(1);
  }

  @Test
  void manyPipelinedCallsComplete() {
    RpcClient c = clients.client(server.address());
    CompletableFuture<?>[] all = new CompletableFuture<?>[500];
    for (int i = 0; i < all.length; i++) {
      String n = "v" + i;
      all[i] = c.call(getVolume(n), Duration.ofSeconds(10))
          .thenAccept(e -> assertThat(e.getVolumeResponse().getVolume().getName()).isEqualTo(n));
    }
    CompletableFuture.allOf(all).join();
  }

  @Test
  void errorsMapToExceptions() {
    RpcClient c = clients.client(server.address());
    assertThatThrownBy(() -> c.call(getVolume("missing"), Duration.ofSeconds(5)).join())
        .hasCauseInstanceOf(BasaltException.class)
        .satisfies(e -> assertThat(BasaltException.of(e).code()).isEqualTo(ErrorCode.NO_SUCH_VOLUME))
        .hasMessageContaining("no volume missing");
    assertThatThrownBy(() -> c.call(getVolume("throw"), Duration.ofSeconds(5)).join())
        .satisfies(e -> assertThat(BasaltException.of(e).code()).isEqualTo(ErrorCode.INTERNAL));
    assertThatThrownBy(() -> c.call(getVolume("leader"), Duration.ofSeconds(5)).join())
        .satisfies(e -> assertThat(((NotLeaderException) BasaltException.of(e)).leaderAddress())
            .isEqualTo("10.0.0.1:7000"));
    assertThatThrownBy(() -> c.call(Envelope.newBuilder().setRead(ReadRequest.getDefaultInstance()),
        Duration.ofSeconds(5)).join())
        .satisfies(e -> assertThat(BasaltException.of(e).code()).isEqualTo(ErrorCode.UNKNOWN_METHOD));
    // the connection still serves after every error
    assertThat(c.call(getVolume("ok"), Duration.ofSeconds(5)).join().getCode()).isEqualTo(ErrorCode.OK);
  }

  @Test
  void deadlineFailsWithTimeout() {
    RpcClient c = clients.client(server.address());
    assertThatThrownBy(() -> c.call(getVolume("slow"), Duration.ofMillis(200)).join())
        .isInstanceOf(CompletionException.class)
        .satisfies(e -> {
          assertThat(BasaltException.of(e).code()).isEqualTo(ErrorCode.TIMEOUT);
          assertThat(BasaltException.of(e).retryable()).isTrue();
        });
  }

  @Test
  void unreachableServerIsUnavailable() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    RpcClient c = clients.client("127.0.0.1:" + port);
    assertThatThrownBy(() -> c.call(getVolume("x"), Duration.ofSeconds(5)).join())
        .satisfies(e -> assertThat(BasaltException.of(e).code()).isEqualTo(ErrorCode.UNAVAILABLE));
  }

  @Test
  void serverShutdownFailsPendingCallsAsUnavailable() {
    RpcClient c = clients.client(server.address());
    CompletableFuture<Envelope> slow = c.call(getVolume("slow"), Duration.ofSeconds(30));
    c.call(getVolume("ok"), Duration.ofSeconds(5)).join();
    server.close();
    assertThatThrownBy(slow::join)
        .satisfies(e -> assertThat(BasaltException.of(e).code()).isEqualTo(ErrorCode.UNAVAILABLE));
  }

  @Test
  void oversizeFrameIsRefusedAndServerKeepsServing() throws Exception {
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      out.writeInt(10 * 1024 * 1024);
      out.flush();
      Envelope refusal = readFrameHeader(new DataInputStream(s.getInputStream()));
      assertThat(refusal.getCode()).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
      assertThat(s.getInputStream().read()).isEqualTo(-1); // closed
    }
    assertThat(clients.client(server.address()).call(getVolume("after"), Duration.ofSeconds(5)).join().getCode())
        .isEqualTo(ErrorCode.OK);
  }

  @Test
  void malformedHeaderIsRefusedAndServerKeepsServing() throws Exception {
    RpcClient healthy = clients.client(server.address());
    healthy.call(getVolume("before"), Duration.ofSeconds(5)).join();
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      byte[] garbage = {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 0x01, 0x02};
      out.writeInt(1 + 4 + garbage.length);
      out.writeByte(1);
      out.writeInt(garbage.length);
      out.write(garbage);
      out.flush();
      Envelope refusal = readFrameHeader(new DataInputStream(s.getInputStream()));
      assertThat(refusal.getCode()).isEqualTo(ErrorCode.MALFORMED_FRAME);
    }
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      out.writeInt(5);
      out.writeByte(9); // unknown protocol version
      out.writeInt(0);
      out.flush();
      assertThat(readFrameHeader(new DataInputStream(s.getInputStream())).getMessage()).contains("protocol version");
    }
    // an established connection is unaffected
    assertThat(healthy.call(getVolume("after"), Duration.ofSeconds(5)).join().getCode()).isEqualTo(ErrorCode.OK);
  }

  private static Envelope readFrameHeader(DataInputStream in) throws Exception {
    int len = in.readInt();
    assertThat(in.readByte()).isEqualTo((byte) 1);
    int hl = in.readInt();
    byte[] h = new byte[hl];
    in.readFully(h);
    in.skipBytes(len - 5 - hl);
    return Envelope.parseFrom(h);
  }
}
