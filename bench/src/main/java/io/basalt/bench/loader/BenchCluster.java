package io.basalt.bench.loader;

import com.codahale.metrics.MetricRegistry;
import io.basalt.chunk.ChunkConfig;
import io.basalt.chunk.ChunkServer;
import io.basalt.client.io.ClientConfig;
import io.basalt.client.ClusterVolumeProvider;
import io.basalt.client.VolumeHandle;
import io.basalt.common.HostPort;
import io.basalt.meta.MetaConfig;
import io.basalt.meta.MetaServer;
import io.basalt.meta.zk.EmbeddedZooKeeper;
import io.basalt.proto.CreateVolumeRequest;
import io.basalt.proto.Envelope;
import io.basalt.proto.ListChunksRequest;
import io.basalt.rpc.RpcClientFactory;
import io.basalt.session.MetaClient;
import io.basalt.session.ZkMetaLocator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A whole cluster in this JVM on 127.0.0.1 for the loader: embedded ZooKeeper, a meta server, chunk servers on
 * real RocksDB with real TCP, and the block client. Self-contained (the tests module's MiniCluster is test source),
 * and started with production defaults: no test mode, no failpoints.
 */
final class BenchCluster implements AutoCloseable {
  private static final String CLUSTER = "bench";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final Path dir;
  private EmbeddedZooKeeper zk;
  private MetaServer meta;
  private final List<ChunkServer> chunks = new ArrayList<>();
  private RpcClientFactory rpc;
  private ZkMetaLocator locator;
  private MetaClient metaClient;
  private ClusterVolumeProvider volumes;

  private BenchCluster(Path dir) {
    this.dir = dir;
  }

  static BenchCluster start(Path dir, int chunkCount) {
    BenchCluster c = new BenchCluster(dir);
    try {
      c.startAll(chunkCount);
      return c;
    } catch (RuntimeException | Error e) {
      c.close();
      throw e;
    }
  }

  private void startAll(int chunkCount) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    zk = EmbeddedZooKeeper.start(dir.resolve("zk"));
    meta = MetaServer.start(MetaConfig.defaults(zk.getConnectionString()).withCluster(CLUSTER)
        .withListen("127.0.0.1", 0));
    Poll.until("the meta server to lead", START_TIMEOUT, meta::isActiveLeader);
    rpc = new RpcClientFactory("bench", new MetricRegistry());
    locator = ZkMetaLocator.connect(zk.getConnectionString(), CLUSTER);
    metaClient = new MetaClient(locator, rpc);
    for (int i = 0; i < chunkCount; i++) {
      chunks.add(new ChunkServer(ChunkConfig.of(dir.resolve("chunk-" + i), zk.getConnectionString(), CLUSTER, null)
          .withListen(new HostPort("127.0.0.1", 0))).start());
    }
    Poll.until(chunkCount + " chunks to register", START_TIMEOUT, () -> liveChunks() >= chunkCount);
    volumes = new ClusterVolumeProvider(metaClient, rpc, ClientConfig.defaults(), new MetricRegistry());
  }

  private long liveChunks() {
    return metaClient.callSync(Envelope.newBuilder().setListChunks(ListChunksRequest.getDefaultInstance()))
        .getListChunksResponse().getChunksList().stream()
        .filter(ch -> ch.getLastSeenMs() >= 0 && ch.getLastSeenMs() < 5_000).count();
  }

  /** Creates a volume and opens it through the block client (which takes the leases on first write). */
  VolumeHandle createVolume(String name, long size, long extentSize, int replicas) {
    metaClient.callSync(Envelope.newBuilder().setCreateVolume(CreateVolumeRequest.newBuilder()
        .setName(name).setSizeBytes(size).setExtentSize(extentSize).setReplicas(replicas)));
    return volumes.open(name, "loader");
  }

  List<ChunkServer> chunks() {
    return List.copyOf(chunks);
  }

  @Override
  public void close() {
    closeQuietly(volumes);
    closeQuietly(metaClient);
    closeQuietly(locator);
    chunks.forEach(BenchCluster::closeQuietly);
    closeQuietly(rpc);
    closeQuietly(meta);
    closeQuietly(zk);
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      System.err.println("warning: closing " + c.getClass().getSimpleName() + ": " + e);
    }
  }
}
