package io.basalt.meta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.basalt.meta.zk.EmbeddedZooKeeper;
import io.basalt.session.SessionConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@Timeout(60)
class MetaServerMainTest {
  @TempDir
  Path dir;

  static MetaConfig parse(String... args) {
    MetaServerMain main = new MetaServerMain();
    new CommandLine(main).parseArgs(args);
    return main.config();
  }

  @Test
  void defaultsMatchTheDesign() {
    MetaConfig c = parse("--zk", "127.0.0.1:2181");
    assertThat(c).isEqualTo(MetaConfig.defaults("127.0.0.1:2181").withStrictZkTimeout(true));
    assertThat(c.zkSessionTimeout()).as("two fifths of the 10 s session timeout").isEqualTo(Duration.ofSeconds(4));
    assertThat(c.strictZkTimeout()).isTrue();
    assertThat(c.listenHost()).isEqualTo("127.0.0.1");
    assertThat(c.listenPort()).isEqualTo(7000);
    assertThat(c.cluster()).isEqualTo("local");
    assertThat(c.metricsPort()).isEqualTo(-1);
    assertThat(c.chunkLiveness()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.returnWait()).as("recovery waits one session timeout for a departed member")
        .isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void recoveryReturnWaitFollowsTheSessionTimeoutUnlessGiven() {
    assertThat(parse("--zk", "a:1", "--session-timeout", "3s", "--keepalive-interval", "500ms").returnWait())
        .isEqualTo(Duration.ofSeconds(3));
    MetaConfig off = parse("--zk", "a:1", "--recovery-return-wait", "0");
    assertThat(off.returnWait()).as("0 turns the wait off").isEqualTo(Duration.ZERO);
    assertThat(parse("--zk", "a:1", "--recovery-return-wait", "4500ms").returnWait())
        .isEqualTo(Duration.ofMillis(4500));
    assertThat(off.withSessions(SessionConfig.of(Duration.ofMillis(200), Duration.ofSeconds(2))).returnWait())
        .as("an explicit value stays when the sessions change").isEqualTo(Duration.ZERO);
    assertThatThrownBy(() -> parse("--zk", "a:1", "--recovery-return-wait", "-1s"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("recovery return wait");
  }

  @Test
  void optionsOverrideDefaults() {
    MetaConfig c = parse("--zk", "a:1,b:2", "--listen", "0.0.0.0:0", "--cluster", "prod-1", "--metrics-port", "0",
        "--chunk-liveness", "1500ms", "--zk-session-timeout", "4s", "--keepalive-interval", "200ms",
        "--session-timeout", "2s", "--mass-expiry-share", "0.75");
    assertThat(c).isEqualTo(new MetaConfig("a:1,b:2", "0.0.0.0", 0, "prod-1", 0, Duration.ofMillis(1500),
        Duration.ofSeconds(4), MetaConfig.DEFAULT_ZK_CONNECTION_TIMEOUT,
        SessionConfig.of(Duration.ofMillis(200), Duration.ofSeconds(2)).withMassExpiryShare(0.75))
        .withStrictZkTimeout(true));
    assertThat(parse("--zk", "a:1", "--session-timeout", "3s", "--keepalive-interval", "500ms").zkSessionTimeout())
        .as("the ZooKeeper timeout follows a short session timeout unless given").isEqualTo(Duration.ofMillis(1200));
  }

  @Test
  void refusesToStartWhenTheNegotiatedZooKeeperTimeoutOutlastsTheLeases() {
    try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(dir)) {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      PrintStream saved = System.err;
      int rc;
      System.setErr(new PrintStream(err, true));
      try {
        rc = new CommandLine(new MetaServerMain()).execute("--zk", zk.getConnectionString(), "--listen",
            "127.0.0.1:0", "--cluster", "refused", "--keepalive-interval", "200ms", "--session-timeout", "2s",
            "--zk-session-timeout", "4s");
      } finally {
        System.setErr(saved);
      }
      assertThat(rc).isEqualTo(3);
      assertThat(err.toString()).contains("unsafe ZooKeeper session timeout").contains("negotiated ZooKeeper session"
          + " timeout 4000 ms").contains("--zk-session-timeout").contains("--session-timeout 2000 ms")
          .contains("= 1600 ms");
    }
  }

  @Test
  void badValuesAreRejected() {
    assertThatThrownBy(() -> parse("--zk", "z:1", "--listen", "nohost")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> parse("--zk", "z:1", "--cluster", "a/b")).hasMessageContaining("cluster");
    assertThatThrownBy(() -> parse("--zk", "z:1", "--chunk-liveness", "0s")).hasMessageContaining("liveness");
    assertThatThrownBy(() -> parse("--zk", "z:1", "--keepalive-interval", "2s", "--session-timeout", "3s"))
        .hasMessageContaining("at least twice the keepalive interval");
    assertThat(new CommandLine(new MetaServerMain()).execute("--listen", "127.0.0.1:0")).isEqualTo(2);
  }

  @Test
  void servesPrometheusMetricsWhenAsked() throws Exception {
    try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(dir);
        MetaServer server = MetaServer.start(MetaTestSupport.config(zk.getConnectionString()).withMetricsPort(0))) {
      await().atMost(Duration.ofSeconds(20)).until(server::isActiveLeader);
      assertThat(server.metricsPort()).isPositive();
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + server.metricsPort() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).contains("basalt_meta_leadership_state").contains("basalt_meta_zk_commit_latency");
    }
  }
}
