package io.basalt.it.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.basalt.common.HostPort;
import io.basalt.it.check.ClusterChecker;
import io.basalt.it.check.NbdVolume;
import io.basalt.it.check.StressConfig;
import io.basalt.it.check.StressResult;
import io.basalt.it.check.Stresser;
import io.basalt.it.cluster.ClusterNode;
import io.basalt.it.cluster.NodeRole;
import io.basalt.it.cluster.ProcessCluster;
import io.basalt.it.faults.FaultProxy;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.VolumeInfo;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * TESTPLAN F23 during F02 (issue 9, point 1): the lease owner is killed while writers run through a real NBD server;
 * while the NBD server's attempts of those writes are still retrying towards the dead owner, the client's NBD
 * connection is cut; the client redials, gets back in as soon as a new owner holds the lease, and goes on rewriting
 * the same blocks. The old connection's
 * attempts must die with it: had one of them been retried after the takeover, it would have landed after the
 * reconnected client's newer, acknowledged write of the same block and undone it (a lost acknowledged write, and a
 * reader seeing an older value after a newer one). The checker proves that never happens.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ReconnectDuringFailoverIT {
  private static final long MiB = 1 << 20;

  @TempDir
  Path dir;

  @Test
  void writesOfACutConnectionNeverLandAfterTheReconnectedClientsNewerWrites() {
    try (ProcessCluster cluster = ProcessCluster.builder(dir).chunks(4)
        .sessions(SessionFaultIT.KEEPALIVE, SessionFaultIT.TIMEOUT).start()) {
      VolumeInfo info = cluster.createVolume("vol", MiB, MiB, 3);
      ClusterNode nbd = cluster.nbd();
      try (FaultProxy link = FaultProxy.start("client->nbd", new InetSocketAddress("127.0.0.1", 0),
          HostPort.parse(nbd.address()))) {
        HostPort via = HostPort.parse(link.address());
        NbdVolume volume = NbdVolume.connect(via.host(), via.port(), "vol");
        // One extent, 8 writers with one block each: every write a writer re-sends or makes after the reconnect is
        // to the block its cut write went to. Paced (16 writes/s in all) so a block keeps what was written last for
        // a while, and the readers see it.
        StressConfig config = StressConfig.defaults(97).withVolumeId(info.getVid()).withLayout(MiB, 8, 1)
            .withWorkers(8, true, 2).withRates(16, 400).withLimits(Duration.ofSeconds(120), 0);
        try (Stresser s = Stresser.start(volume, config)) {
          await().atMost(Duration.ofSeconds(30)).until(() -> s.writesAcked() >= 300 && owner(cluster) != 0);
          int oldCid = owner(cluster);

          cluster.kill9(cluster.chunkByCid(oldCid));
          long killedAt = s.writesAcked();
          // the fault took effect: the writes in flight are stuck behind the dead owner (retrying in the NBD server)
          await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(10))
              .until(() -> s.writesAcked() <= killedAt + 16);
          // cut the client off; it redials at once, but the link lets it back only once a new owner holds the lease,
          // so its re-sent and newer writes race what the cut connection's attempts do next
          link.dropNewConnections();
          link.cutExisting();
          assertThat(link.stats().connectionsCut()).isEqualTo(1);
          await().atMost(Duration.ofSeconds(30)).until(() -> owner(cluster) != 0 && owner(cluster) != oldCid);
          assertThat(link.stats().connectionsRefused()).as("the client redialled while cut off").isPositive();
          link.pass();

          long cutAt = s.writesAcked();
          await().atMost(Duration.ofSeconds(60)).until(() -> s.violated() || s.writesAcked() >= cutAt + 2000);
          assertThat(volume.connects()).as("the client reconnected").isGreaterThanOrEqualTo(2);
          await().atMost(Duration.ofSeconds(60)).until(() -> s.violated() || cluster.fullyRedundant("vol", 3));
          StressResult r = s.stop();
          System.out.printf("F23 during F02: in-doubt writes %d, max QD1 pause %d ms, reconnects %d%n",
              r.writesInDoubt(), r.maxPause().toMillis(), volume.connects() - 1);
          assertThat(r.writesInDoubt()).as("writes were in flight when the connection was cut").isPositive();
          ClusterChecker.of(cluster, "vol").stresser(s, volume).expectedReplicas(3)
              .pauseBudget(Duration.ofSeconds(15)).deaths(cluster::unexpectedDeaths)
              .onFailure(report -> cluster.collectEvidence("ReconnectDuringFailoverIT", report)).check();
        } finally {
          volume.close();
        }
      }
    }
  }

  private static int owner(ProcessCluster cluster) {
    ExtentInfo e = cluster.extents("vol").get(0);
    return e.getOwnerCid();
  }

  static boolean nbdLogged(ProcessCluster cluster, String text) {
    return cluster.nodes(NodeRole.NBD).stream().anyMatch(n -> cluster.logged(n, text));
  }
}
