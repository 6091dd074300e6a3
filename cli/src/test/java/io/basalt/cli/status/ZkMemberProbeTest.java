package io.basalt.cli.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.meta.zk.EmbeddedZooKeeper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The {@code srvr} answer parser, the connect-string split and probes of a real and a fake member. */
@Timeout(60)
class ZkMemberProbeTest {
  static final Duration TIMEOUT = Duration.ofSeconds(2);

  @Test
  void parsesTheModeLine() {
    String follower = "Zookeeper version: 3.9.5-1234, built on 2025-01-01 00:00 UTC\n"
        + "Latency min/avg/max: 0/0.1/3\nReceived: 12\nSent: 11\nConnections: 2\nOutstanding: 0\n"
        + "Zxid: 0x10000002a\nMode: follower\nNode count: 42\n";
    assertThat(ZkMemberProbe.parse(follower)).isEqualTo("follower");
    assertThat(ZkMemberProbe.parse(follower.replace("follower", "leader").replace("\n", "\r\n")))
        .isEqualTo("leader");
    assertThat(ZkMemberProbe.parse("Zxid: 0x0\nMode: standalone\nNode count: 5\n")).isEqualTo("standalone");
    assertThat(ZkMemberProbe.parse("Mode: observer")).isEqualTo("observer");
  }

  @Test
  void aMemberThatWillNotSayIsUpAndOneWithoutQuorumIsNotServing() {
    assertThat(ZkMemberProbe.parse("srvr is not executed because it is not in the whitelist.\n"))
        .isEqualTo(ZkMemberProbe.UP);
    assertThat(ZkMemberProbe.parse("")).isEqualTo(ZkMemberProbe.UP);
    assertThat(ZkMemberProbe.parse("Mode:\n")).isEqualTo(ZkMemberProbe.UP);
    assertThat(ZkMemberProbe.parse("This ZooKeeper instance is not currently serving requests\n"))
        .isEqualTo(ZkMemberProbe.NOT_SERVING);
  }

  @Test
  void splitsTheConnectString() {
    assertThat(ZkMemberProbe.members("127.0.0.1:2181,127.0.0.1:2182, zk3:2183/basalt"))
        .containsExactly("127.0.0.1:2181", "127.0.0.1:2182", "zk3:2183");
    assertThat(ZkMemberProbe.members("zk1,zk2:2999")).containsExactly("zk1:2181", "zk2:2999");
    assertThat(ZkMemberProbe.members("[::1]:2181,[::1]")).containsExactly("[::1]:2181", "[::1]:2181");
  }

  @Test
  void probesARealStandaloneMember(@TempDir Path dir) {
    try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(dir)) {
      assertThat(ZkMemberProbe.probe(zk.host() + ":" + zk.port(), TIMEOUT)).isEqualTo("standalone");
    }
  }

  @Test
  void aClosedPortIsUnreachableAndAServerThatClosesAtOnceIsUp() throws IOException {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    assertThat(ZkMemberProbe.probe("127.0.0.1:" + closedPort, TIMEOUT)).isEqualTo(ZkMemberProbe.UNREACHABLE);
    assertThat(ZkMemberProbe.probe("127.0.0.1:notaport", TIMEOUT)).isEqualTo(ZkMemberProbe.UNREACHABLE);

    try (ServerSocket s = new ServerSocket(0)) {
      Thread t = new Thread(() -> {
        try (Socket c = s.accept()) {
          c.getOutputStream().write("srvr is not executed because it is not in the whitelist.\n"
              .getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
          // test over
        }
      });
      t.start();
      assertThat(ZkMemberProbe.probe("127.0.0.1:" + s.getLocalPort(), TIMEOUT)).isEqualTo(ZkMemberProbe.UP);
    }
  }
}
