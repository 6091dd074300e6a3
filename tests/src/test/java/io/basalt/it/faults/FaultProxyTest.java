package io.basalt.it.faults;

import static io.basalt.it.faults.Sockets.assertClosedByPeer;
import static io.basalt.it.faults.Sockets.assertSilent;
import static io.basalt.it.faults.Sockets.connect;
import static io.basalt.it.faults.Sockets.echo;
import static io.basalt.it.faults.Sockets.exchange;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import io.basalt.common.HostPort;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.GetVolumeRequest;
import io.basalt.proto.VolumeInfo;
import io.basalt.proto.VolumeResponse;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.Reply;
import io.basalt.rpc.RpcClient;
import io.basalt.rpc.RpcClientFactory;
import io.basalt.rpc.RpcServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Each fault mode of {@link FaultProxy} against a plain echo server, then in front of the real RPC layer. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FaultProxyTest {
  private static final InetSocketAddress ANY_PORT = new InetSocketAddress("127.0.0.1", 0);
  private static final byte[] PING = "ping".getBytes(StandardCharsets.US_ASCII);

  private final Random random = new Random(42);
  private EchoServer echo;
  private FaultProxy proxy;

  @BeforeEach
  void start() throws Exception {
    echo = EchoServer.start();
    proxy = FaultProxy.start("test", ANY_PORT, echo.hostPort());
  }

  @AfterEach
  void stop() throws Exception {
    proxy.close();
    echo.close();
  }

  private byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private static void assertSameBytes(byte[] actual, byte[] expected) {
    assertThat(actual.length).as("length").isEqualTo(expected.length);
    assertThat(Arrays.mismatch(actual, expected)).as("first differing byte").isEqualTo(-1);
  }

  @Test
  void passForwardsBothWaysByteExactAndCounts() throws Exception {
    byte[] data = randomBytes(1 << 20);
    try (Socket s = connect(proxy.address())) {
      assertSameBytes(echo(s, data), data);
    }
    ProxyStats stats = proxy.stats();
    assertThat(stats.mode().isPass()).isTrue();
    assertThat(stats.connectionsAccepted()).isEqualTo(1);
    assertThat(stats.bytesClientToServer()).isEqualTo(data.length);
    assertThat(stats.bytesServerToClient()).isEqualTo(data.length);
    assertThat(stats.bytesDropped()).isZero();
    await().untilAsserted(() -> assertThat(proxy.stats().openConnections()).isZero());
  }

  @Test
  void dropNewConnectionsClosesNewOnesButExistingKeepsWorking() throws Exception {
    try (Socket existing = connect(proxy.address())) {
      assertSameBytes(echo(existing, PING), PING);
      proxy.dropNewConnections();
      try (Socket fresh = connect(proxy.address())) {
        assertClosedByPeer(fresh);
      }
      assertSameBytes(echo(existing, PING), PING);
    }
    ProxyStats stats = proxy.stats();
    assertThat(stats.mode().dropNew()).isTrue();
    assertThat(stats.connectionsAccepted()).isEqualTo(2);
    assertThat(stats.connectionsRefused()).isEqualTo(1);
  }

  @Test
  void cutExistingClosesExistingAndNewOnesWork() throws Exception {
    try (Socket first = connect(proxy.address()); Socket second = connect(proxy.address())) {
      assertSameBytes(echo(first, PING), PING);
      assertSameBytes(echo(second, PING), PING);
      proxy.cutExisting();
      assertClosedByPeer(first);
      assertClosedByPeer(second);
      await().untilAsserted(() -> assertThat(echo.openConnections()).isZero());
    }
    try (Socket fresh = connect(proxy.address())) {
      assertSameBytes(echo(fresh, PING), PING);
    }
    assertThat(proxy.stats().connectionsCut()).isEqualTo(2);
  }

  @Test
  void blackholeHangsReadsWithoutClosingAndHealingClosesGappedConnections() throws Exception {
    try (Socket s = connect(proxy.address())) {
      assertSameBytes(echo(s, PING), PING);
      proxy.blackhole();
      s.getOutputStream().write(PING);
      assertSilent(s, 300);
      assertSilent(s, 100); // a timeout again, not EOF: the connection is still open
      try (Socket fresh = connect(proxy.address())) { // new connections are accepted, then hang too
        fresh.getOutputStream().write(PING);
        assertSilent(fresh, 200);
      }
      await().untilAsserted(() -> assertThat(proxy.stats().droppedClientToServer()).isEqualTo(2L * PING.length));
      assertThat(echo.openConnections()).as("the target side is not closed either").isEqualTo(2);
      assertThat(proxy.stats().bytesClientToServer()).isEqualTo(PING.length);

      proxy.pass(); // its stream lost "ping": TCP would never deliver that gap, so the proxy ends the connection
      assertClosedByPeer(s);
    }
    try (Socket fresh = connect(proxy.address())) {
      assertSameBytes(echo(fresh, PING), PING);
    }
    await().untilAsserted(() -> assertThat(proxy.stats().openConnections()).isZero());
  }

  @Test
  void blackholeFromCutsOnlyTheNamedClientsAndPassHealsThem() throws Exception {
    try (Socket cutClient = connectFrom("127.0.0.3", proxy.address());
        Socket other = connectFrom("127.0.0.4", proxy.address())) {
      assertSameBytes(echo(cutClient, PING), PING);
      proxy.blackholeFrom(List.of("127.0.0.3"));
      cutClient.getOutputStream().write(PING);
      assertSilent(cutClient, 300);
      assertSameBytes(echo(other, PING), PING); // another client goes on
      try (Socket again = connectFrom("127.0.0.3", proxy.address())) { // new connections from it hang too
        again.getOutputStream().write(PING);
        assertSilent(again, 200);
      }
      assertThat(proxy.stats().droppedClientToServer()).isEqualTo(2L * PING.length);
      proxy.pass();
      assertClosedByPeer(cutClient); // its stream lost bytes
    }
    try (Socket fresh = connectFrom("127.0.0.3", proxy.address())) {
      assertSameBytes(echo(fresh, PING), PING);
    }
  }

  private static Socket connectFrom(String sourceHost, String address) throws IOException {
    HostPort to = HostPort.parse(address);
    Socket s = new Socket();
    s.bind(new InetSocketAddress(sourceHost, 0));
    s.connect(new InetSocketAddress(to.host(), to.port()), 5_000);
    s.setSoTimeout(10_000);
    return s;
  }

  @Test
  void oneWayLossDropsOnlyThatDirection() throws Exception {
    try (ServerSocket target = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        FaultProxy p = FaultProxy.start("pair", ANY_PORT, new HostPort("127.0.0.1", target.getLocalPort()))) {
      Sockets.Pair first = Sockets.Pair.open(p, target);
      p.oneWayLoss(Direction.CLIENT_TO_SERVER);
      first.client().getOutputStream().write(PING);
      assertSilent(first.server(), 300);
      assertSameBytes(exchange(first.server(), first.client(), PING), PING);
      assertThat(p.stats().droppedClientToServer()).isEqualTo(PING.length);

      p.oneWayLoss(Direction.SERVER_TO_CLIENT); // heals client->server, whose stream has a gap: closed
      assertClosedByPeer(first.client());
      first.close();
      try (Sockets.Pair second = Sockets.Pair.open(p, target)) {
        assertSameBytes(exchange(second.client(), second.server(), PING), PING);
        second.server().getOutputStream().write(PING);
        assertSilent(second.client(), 300);
        await().untilAsserted(() -> assertThat(p.stats().droppedServerToClient()).isEqualTo(PING.length));
        assertThat(p.stats().bytesClientToServer()).isEqualTo(PING.length);
        assertThat(p.stats().bytesServerToClient()).isEqualTo(PING.length);
      }
    }
  }

  @Test
  void latencyDelaysEachDirectionAndPreservesOrder() throws Exception {
    Duration base = Duration.ofMillis(200);
    Duration jitter = Duration.ofMillis(40);
    proxy.latency(base, jitter);
    try (Socket s = connect(proxy.address())) {
      long start = System.nanoTime();
      assertSameBytes(echo(s, PING), PING);
      long rtt = System.nanoTime() - start;
      // each direction holds every chunk at least base - jitter; asserting only the lower bound cannot flake
      assertThat(Duration.ofNanos(rtt)).isGreaterThanOrEqualTo(base.minus(jitter).multipliedBy(2));

      byte[] data = randomBytes(64 * 1024);
      CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
        try {
          for (int off = 0; off < data.length; off += 256) { // many small chunks, each with its own jitter
            s.getOutputStream().write(data, off, 256);
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
      byte[] got = s.getInputStream().readNBytes(data.length);
      writer.join();
      assertSameBytes(got, data);
    }
    assertThat(proxy.stats().mode().latency()).isEqualTo(base);
  }

  @Test
  void releaseHeldForwardsBytesHeldByLatencyAtOnceAndInOrder() throws Exception {
    proxy.latency(Duration.ofMinutes(5), Duration.ZERO);
    byte[] data = randomBytes(32 * 1024);
    try (Socket s = connect(proxy.address())) {
      s.getOutputStream().write(data);
      s.getOutputStream().flush();
      assertSilent(s, 300); // held in transit, not lost
      proxy.pass(); // new bytes would pass, but the held ones keep their release time...
      assertSilent(s, 200);
      proxy.releaseHeld(); // ...until released
      assertSameBytes(s.getInputStream().readNBytes(data.length), data);
      assertSameBytes(echo(s, PING), PING);
    }
  }

  @Test
  void oneWayLatencyHoldsOnlyThatDirection() throws Exception {
    try (ServerSocket target = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        FaultProxy p = FaultProxy.start("pair", ANY_PORT, new HostPort("127.0.0.1", target.getLocalPort()))) {
      try (Sockets.Pair pair = Sockets.Pair.open(p, target)) {
        p.latency(Direction.CLIENT_TO_SERVER, Duration.ofMinutes(5), Duration.ZERO);
        pair.client().getOutputStream().write(PING);
        assertSilent(pair.server(), 300); // held towards the server...
        assertSameBytes(exchange(pair.server(), pair.client(), PING), PING); // ...while the other way passes
        p.releaseHeld();
        assertSameBytes(pair.server().getInputStream().readNBytes(PING.length), PING);
      }
    }
  }

  @Test
  void bandwidthThrottlesEachDirection() throws Exception {
    try (ServerSocket target = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        FaultProxy p = FaultProxy.start("slow", ANY_PORT, new HostPort("127.0.0.1", target.getLocalPort()));
        Sockets.Pair pair = Sockets.Pair.open(p, target)) {
      p.bandwidth(128 * 1024);
      byte[] data = randomBytes(256 * 1024);
      long start = System.nanoTime();
      assertSameBytes(exchange(pair.client(), pair.server(), data), data);
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(1500));
      assertThat(p.stats().bytesClientToServer()).isEqualTo(data.length);

      p.bandwidth(0).latency(Duration.ofMillis(50), Duration.ZERO); // unlimited again, combined with latency
      assertSameBytes(exchange(pair.server(), pair.client(), data), data);
      assertThat(p.stats().bytesServerToClient()).isEqualTo(data.length);
    }
  }

  @Test
  void worksInFrontOfTheRpcLayer() throws Exception {
    RpcServer server = RpcServer.builder("t").bind("127.0.0.1", 0)
        .handle(Envelope.BodyCase.GET_VOLUME, req -> CompletableFuture.completedFuture(Reply.of(
            Envelope.newBuilder().setVolumeResponse(VolumeResponse.newBuilder().setVolume(VolumeInfo.newBuilder()
                .setName(req.header().getGetVolume().getName()).setSizeBytes(42))))))
        .build().start();
    try (server; FaultProxy p = FaultProxy.start("rpc", ANY_PORT, HostPort.parse(server.address()));
        RpcClientFactory clients = new RpcClientFactory("t", new MetricRegistry())) {
      RpcClient client = clients.client(p.address());
      assertThat(getVolume(client, "v1", 5000).join().getVolumeResponse().getVolume().getName()).isEqualTo("v1");

      p.blackhole();
      assertFailsWith(getVolume(client, "v2", 300), ErrorCode.TIMEOUT);
      assertThat(p.stats().droppedClientToServer()).isPositive();

      p.dropNewConnections();
      p.cutExisting();
      assertFailsWith(getVolume(client, "v3", 5000), ErrorCode.UNAVAILABLE);
      assertFailsWith(getVolume(client, "v4", 5000), ErrorCode.UNAVAILABLE);
      await().untilAsserted(() -> assertThat(p.stats().connectionsRefused()).isPositive());

      p.pass();
      assertThat(getVolume(client, "v5", 5000).join().getVolumeResponse().getVolume().getName()).isEqualTo("v5");
    }
  }

  private static CompletableFuture<Envelope> getVolume(RpcClient client, String name, long deadlineMs) {
    return client.call(Envelope.newBuilder().setGetVolume(GetVolumeRequest.newBuilder().setName(name)),
        Duration.ofMillis(deadlineMs));
  }

  private static void assertFailsWith(CompletableFuture<Envelope> call, ErrorCode code) {
    assertThatThrownBy(call::join).satisfies(e -> assertThat(BasaltException.of(e).code()).isEqualTo(code));
  }
}
