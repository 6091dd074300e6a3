package io.basalt.cli.core;

import com.codahale.metrics.MetricRegistry;
import io.basalt.proto.ChunkInfo;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ListChunksRequest;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.RpcClientFactory;
import io.basalt.session.MetaClient;
import io.basalt.session.ZkMetaLocator;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The CLI's line to a cluster: a ZooKeeper client that finds the meta leader, a {@link MetaClient} for admin calls
 * and an RPC client factory for calls straight to chunk servers. One per command run; close it when done.
 */
public final class ClusterConnection implements AutoCloseable {
  private static final Duration CHUNK_DEADLINE = Duration.ofSeconds(5);
  private final String zk;
  private final String cluster;
  private final ZkMetaLocator locator;
  private final RpcClientFactory rpc;
  private final MetaClient meta;

  private ClusterConnection(String zk, String cluster, ZkMetaLocator locator, RpcClientFactory rpc,
      MetaClient meta) {
    this.zk = zk;
    this.cluster = cluster;
    this.locator = locator;
    this.rpc = rpc;
    this.meta = meta;
  }

  /**
   * Connects to ZooKeeper at {@code zk}, failing with UNAVAILABLE when it cannot be reached within a few seconds.
   * Meta calls are retried for up to {@code retryBudget} while no leader answers.
   */
  public static ClusterConnection connect(String zk, String cluster, Duration retryBudget) {
    ZkMetaLocator locator = ZkMetaLocator.connect(zk, cluster);
    try {
      if (!locator.awaitConnected(Math.max(1, Math.min(retryBudget.toMillis(), 5_000)), TimeUnit.MILLISECONDS)) {
        throw new BasaltException(ErrorCode.UNAVAILABLE, "cannot reach ZooKeeper at " + zk, false);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      locator.close();
      throw new CliException("interrupted while connecting to ZooKeeper at " + zk, e);
    } catch (RuntimeException e) {
      locator.close();
      throw e;
    }
    RpcClientFactory rpc = new RpcClientFactory("cli", new MetricRegistry());
    Duration attempt = retryBudget.compareTo(Duration.ofSeconds(10)) < 0 ? retryBudget : Duration.ofSeconds(10);
    MetaClient meta = new MetaClient(locator, rpc, attempt, retryBudget);
    return new ClusterConnection(zk, cluster, locator, rpc, meta);
  }

  public String zk() {
    return zk;
  }

  public String cluster() {
    return cluster;
  }

  /** Calls the meta leader and waits; a cluster error arrives as {@link BasaltException}. */
  public Envelope meta(Envelope.Builder request) {
    return meta.callSync(request);
  }

  /** Every chunk meta knows, by cid. */
  public List<ChunkInfo> listChunks() {
    return meta(Envelope.newBuilder().setListChunks(ListChunksRequest.getDefaultInstance()))
        .getListChunksResponse().getChunksList().stream()
        .sorted(Comparator.comparingInt(ChunkInfo::getCid))
        .toList();
  }

  /** Calls a chunk server directly (admin calls such as ReplicaStatus). */
  public CompletableFuture<Envelope> chunk(String address, Envelope.Builder request) {
    return rpc.client(address).call(request, CHUNK_DEADLINE);
  }

  @Override
  public void close() {
    meta.close();
    rpc.close();
    locator.close();
  }
}
