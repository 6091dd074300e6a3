package io.basalt.it.cluster;

import io.basalt.proto.ChunkInfo;
import io.basalt.proto.ChunkStatus;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ListChunksRequest;
import io.basalt.rpc.BasaltException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Readiness checks per role of a {@link ProcessCluster}. */
final class Readiness {
  private static final Pattern CHUNK_READY = Pattern.compile("chunk server ready cid=(\\d+) at (\\S+)");
  private static final Duration PROBE = Duration.ofSeconds(2);
  private static final Logger log = LoggerFactory.getLogger(Readiness.class);
  private final ProcessCluster cluster;

  Readiness(ProcessCluster cluster) {
    this.cluster = cluster;
  }

  /** Waits until {@code node} printed its ready line since its latest start and passes its role's check. */
  void await(ClusterNode node, Duration timeout) {
    Awaitility.await(node + " ready").atMost(timeout).pollInterval(Duration.ofMillis(50)).until(() -> {
      if (!node.isAlive()) {
        throw new AssertionError(node + " exited with " + node.exitCode().orElse(null)
            + " before it was ready; log:\n  " + String.join("\n  ", node.logTail(80)));
      }
      return node.readyLine().isPresent() && serves(node);
    });
    log.info("{} ready {} ms after its start", node, node.millisSinceStart());
  }

  private boolean serves(ClusterNode node) {
    return switch (node.role()) {
      case ZOOKEEPER, NBD -> accepts(node);
      case META -> answers(node, false);
      case CHUNK -> registered(node);
    };
  }

  /** Whether the meta leads: it answers ListChunks with OK. */
  boolean leads(ClusterNode meta) {
    return answers(meta, true);
  }

  /** Whether the meta answers an RPC: OK, or (unless {@code asLeader}) NOT_LEADER / NOT_READY as a follower. */
  private boolean answers(ClusterNode meta, boolean asLeader) {
    try {
      cluster.rpc().client(meta.address()).call(Envelope.newBuilder()
          .setListChunks(ListChunksRequest.getDefaultInstance()), PROBE).join();
      return true;
    } catch (RuntimeException e) {
      ErrorCode code = BasaltException.of(e).code();
      return !asLeader && (code == ErrorCode.NOT_LEADER || code == ErrorCode.NOT_READY);
    }
  }

  /** Registered with meta under the printed cid and address, healthy, and heard from since this start. */
  private boolean registered(ClusterNode chunk) {
    Matcher m = CHUNK_READY.matcher(chunk.readyLine().orElse(""));
    if (!m.find()) {
      return false;
    }
    int cid = Integer.parseInt(m.group(1));
    long sinceStart = chunk.millisSinceStart();
    try {
      List<ChunkInfo> chunks = cluster.metaClient().call(Envelope.newBuilder()
          .setListChunks(ListChunksRequest.getDefaultInstance())).get(PROBE.toMillis(), TimeUnit.MILLISECONDS)
          .getListChunksResponse().getChunksList();
      return chunks.stream().anyMatch(c -> c.getCid() == cid
          && c.getAddress().equals(chunk.advertisedAddress()) && c.getStatus() == ChunkStatus.HEALTHY
          && c.getLastSeenMs() >= 0 && c.getLastSeenMs() < sinceStart);
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static boolean accepts(ClusterNode node) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(node.host(), node.port()), (int) PROBE.toMillis());
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
