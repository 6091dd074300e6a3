package io.basalt.meta.zk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.server.embedded.ExitHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Three members in this JVM form a real quorum: replicated writes, and a majority goes on without one member. */
@Timeout(120)
class EmbeddedZooKeeperEnsembleTest {
  private static final Duration QUORUM = Duration.ofSeconds(60);

  @TempDir
  Path dir;

  private final List<EmbeddedZooKeeper> members = new ArrayList<>();

  @AfterEach
  void closeAll() {
    members.forEach(EmbeddedZooKeeper::close);
  }

  @Test
  void replicatesThroughAnyMemberAndSurvivesLosingTheLeader() throws Exception {
    List<ZkPeer> ensemble = freeEnsemble(3);
    for (ZkPeer p : ensemble) {
      members.add(EmbeddedZooKeeper.startMember(dir.resolve("zk-" + p.id()), p.id(), ensemble, ExitHandler.LOG_ONLY));
    }
    List<String> modes = new ArrayList<>();
    for (EmbeddedZooKeeper m : members) {
      modes.add(m.awaitServing(QUORUM));
    }
    assertThat(modes).containsExactlyInAnyOrder("leader", "follower", "follower");
    assertThat(members.get(0).ensembleConnectString()).isEqualTo(ZkPeer.connectString(ensemble));
    assertThat(Files.readString(dir.resolve("zk-2/data/myid")).trim()).isEqualTo("2");

    // written through one member, read through another (each client talks to one member only)
    try (CuratorFramework w = EmbeddedZooKeeperTest.client(members.get(0).getConnectionString());
        CuratorFramework r = EmbeddedZooKeeperTest.client(members.get(2).getConnectionString())) {
      w.create().creatingParentsIfNeeded().forPath("/basalt/t/x", bytes("one"));
      syncAndWait(r, "/basalt/t/x");
      assertThat(text(r.getData().forPath("/basalt/t/x"))).isEqualTo("one");
    }

    // stop the ZooKeeper leader: the other two elect a new one and go on writing and reading
    EmbeddedZooKeeper leader = members.stream().filter(m -> m.mode().orElse("").equals("leader")).findFirst()
        .orElseThrow();
    leader.close();
    List<EmbeddedZooKeeper> rest = members.stream().filter(m -> m != leader).toList();
    List<String> after = new ArrayList<>();
    for (EmbeddedZooKeeper m : rest) {
      after.add(m.awaitServing(QUORUM));
    }
    assertThat(after).containsExactlyInAnyOrder("leader", "follower");
    try (CuratorFramework w = EmbeddedZooKeeperTest.client(rest.get(0).getConnectionString());
        CuratorFramework r = EmbeddedZooKeeperTest.client(rest.get(1).getConnectionString())) {
      assertThat(text(w.getData().forPath("/basalt/t/x"))).isEqualTo("one");
      w.setData().forPath("/basalt/t/x", bytes("two"));
      syncAndWait(r, "/basalt/t/x");
      assertThat(text(r.getData().forPath("/basalt/t/x"))).isEqualTo("two");
    }
    assertThat(leader.mode()).isEmpty();
  }

  @Test
  void neverTurnsAStandaloneDirectoryIntoAMemberNorAMemberIntoAnother() throws Exception {
    Path standalone = dir.resolve("standalone");
    EmbeddedZooKeeper.start(standalone).close();
    List<ZkPeer> ensemble = freeEnsemble(3);
    assertThatThrownBy(() -> EmbeddedZooKeeper.startMember(standalone, 1, ensemble, ExitHandler.LOG_ONLY))
        .hasMessageContaining("holds a standalone ZooKeeper's data");
    assertThat(standalone.resolve("data/myid")).doesNotExist();

    Path member = dir.resolve("member");
    Files.createDirectories(member.resolve("data"));
    Files.writeString(member.resolve("data/myid"), "2\n");
    assertThatThrownBy(() -> EmbeddedZooKeeper.startMember(member, 1, ensemble, ExitHandler.LOG_ONLY))
        .hasMessageContaining("holds the data of ensemble member 2, not 1");
    assertThatThrownBy(() -> EmbeddedZooKeeper.start(member)).hasMessageContaining("ensemble member 2");
    assertThatThrownBy(() -> EmbeddedZooKeeper.startMember(member, 1, ensemble.subList(0, 2), ExitHandler.LOG_ONLY))
        .hasMessageContaining("at least 3 members");
  }

  @Test
  void parsesAndFormatsEnsembles() {
    List<ZkPeer> e = ZkPeer.parseEnsemble("127.0.0.1:2181:2888:3888,127.0.0.1:2182:2889:3889,h3:2181:2888:3888");
    assertThat(e).extracting(ZkPeer::id).containsExactly(1, 2, 3);
    assertThat(e.get(2)).isEqualTo(new ZkPeer(3, "h3", 2181, 2888, 3888));
    assertThat(ZkPeer.connectString(e)).isEqualTo("127.0.0.1:2181,127.0.0.1:2182,h3:2181");
    assertThat(ZkPeer.parseEnsemble(ZkPeer.format(e))).isEqualTo(e);
    assertThatThrownBy(() -> ZkPeer.parseEnsemble("h:1:2")).hasMessageContaining("bad ensemble member 'h:1:2'");
    assertThatThrownBy(() -> ZkPeer.parseEnsemble("h:1:2:x")).hasMessageContaining("ports must be numbers");
    assertThatThrownBy(() -> ZkPeer.parseEnsemble("h:1:2:3,h:4:2:5")).hasMessageContaining("share a port");
    assertThatThrownBy(() -> ZkPeer.parseEnsemble("h:1:1:3")).hasMessageContaining("three different ports");
  }

  @Test
  void theMainRefusesInconsistentMemberFlags() {
    String three = "127.0.0.1:1:2:3,127.0.0.1:4:5:6,127.0.0.1:7:8:9";
    String d = dir.resolve("m").toString();
    assertThat(main("--dir", d, "--id", "1")).isEqualTo(2);
    assertThat(main("--dir", d, "--ensemble", three)).isEqualTo(2);
    assertThat(main("--dir", d, "--ensemble", three, "--id", "4")).isEqualTo(2);
    assertThat(main("--dir", d, "--ensemble", "127.0.0.1:1:2", "--id", "1")).isEqualTo(2);
    assertThat(main("--dir", d, "--ensemble", three, "--id", "2", "--port", "1")).isEqualTo(2);
    assertThat(main("--dir", d, "--ensemble", "127.0.0.1:1:2:3,127.0.0.1:4:5:6", "--id", "1")).isEqualTo(2);
    assertThat(dir.resolve("m")).doesNotExist();
  }

  /**
   * A ZooKeeper sync that has completed: Curator always runs sync() in the background, so a read issued right after
   * {@code sync().forPath} may reach the server before the sync does and see the member's older state.
   */
  private static void syncAndWait(CuratorFramework c, String path) throws Exception {
    CompletableFuture<Integer> synced = new CompletableFuture<>();
    c.sync().inBackground((client, event) -> synced.complete(event.getResultCode())).forPath(path);
    assertThat(synced.get(30, TimeUnit.SECONDS)).as("sync result code").isZero();
  }

  private static int main(String... args) {
    StringWriter err = new StringWriter();
    return new CommandLine(new EmbeddedZooKeeperMain()).setErr(new PrintWriter(err)).execute(args);
  }

  /** Three members on 127.0.0.1, each with three free ports. */
  private static List<ZkPeer> freeEnsemble(int n) throws IOException {
    List<ServerSocket> held = new ArrayList<>();
    try {
      for (int i = 0; i < 3 * n; i++) {
        held.add(new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1")));
      }
      List<ZkPeer> out = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        out.add(new ZkPeer(i + 1, "127.0.0.1", held.get(3 * i).getLocalPort(), held.get(3 * i + 1).getLocalPort(),
            held.get(3 * i + 2).getLocalPort()));
      }
      return out;
    } finally {
      for (ServerSocket s : held) {
        s.close();
      }
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
