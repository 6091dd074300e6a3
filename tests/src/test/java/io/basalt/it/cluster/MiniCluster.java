package io.basalt.it.cluster;

import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import io.basalt.chunk.ChunkConfig;
import io.basalt.chunk.ChunkServer;
import io.basalt.client.io.ClientConfig;
import io.basalt.client.ClusterVolumeProvider;
import io.basalt.client.nbd.NbdServer;
import io.basalt.client.nbd.NbdServerConfig;
import io.basalt.common.HostPort;
import io.basalt.meta.MetaConfig;
import io.basalt.meta.MetaServer;
import io.basalt.meta.zk.EmbeddedZooKeeper;
import io.basalt.proto.CreateVolumeRequest;
import io.basalt.proto.Envelope;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.GetExtentsRequest;
import io.basalt.proto.ListChunksRequest;
import io.basalt.proto.ReadReplicaRequest;
import io.basalt.proto.ReplicaStatusRequest;
import io.basalt.proto.ReplicaStatusResponse;
import io.basalt.proto.VolumeInfo;
import io.basalt.rpc.Frame;
import io.basalt.rpc.RpcClientFactory;
import io.basalt.session.MetaClient;
import io.basalt.session.ZkMetaLocator;
import io.netty.buffer.ByteBufUtil;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * A whole Basalt cluster in one JVM on 127.0.0.1: a real embedded ZooKeeper, a meta server, chunk servers on real
 * RocksDB, and the NBD server over the real block client. Roles can be restarted on their data directories.
 */
public final class MiniCluster implements AutoCloseable, ClusterView {
  public static final String CLUSTER = "local";

  private final Path dir;
  private final int chunkCount;
  private EmbeddedZooKeeper zk;
  private MetaServer meta;
  private final List<ChunkServer> chunks = new ArrayList<>();
  private final List<Integer> chunkPorts = new ArrayList<>();
  private RpcClientFactory rpc;
  private ZkMetaLocator locator;
  private MetaClient metaClient;
  private ClusterVolumeProvider volumes;
  private NbdServer nbd;
  private int nbdPort;

  private MiniCluster(Path dir, int chunkCount) {
    this.dir = dir;
    this.chunkCount = chunkCount;
  }

  public static MiniCluster start(Path dir, int chunkCount) {
    MiniCluster c = new MiniCluster(dir, chunkCount);
    try {
      c.startAll();
      return c;
    } catch (RuntimeException | Error e) {
      c.close();
      throw e;
    }
  }

  private void startAll() {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    zk = EmbeddedZooKeeper.start(dir.resolve("zk"));
    startMeta();
    rpc = new RpcClientFactory("it", new MetricRegistry());
    locator = ZkMetaLocator.connect(zk.getConnectionString(), CLUSTER);
    metaClient = new MetaClient(locator, rpc);
    for (int i = 0; i < chunkCount; i++) {
      ChunkServer c = new ChunkServer(chunkConfig(i, 0)).start();
      chunks.add(c);
      chunkPorts.add(HostPort.parse(c.address()).port());
    }
    awaitChunksLive();
    volumes = new ClusterVolumeProvider(metaClient, rpc, ClientConfig.defaults(), new MetricRegistry());
    nbd = new NbdServer(volumes, NbdServerConfig.defaults());
    nbdPort = nbd.start("127.0.0.1", 0);
  }

  private ChunkConfig chunkConfig(int index, int port) {
    return ChunkConfig.of(dir.resolve("chunk-" + index), zk.getConnectionString(), CLUSTER, null)
        .withListen(new HostPort("127.0.0.1", port)).withTestMode(true);
  }

  private void startMeta() {
    meta = MetaServer.start(MetaConfig.defaults(zk.getConnectionString()).withListen("127.0.0.1", 0));
    await().atMost(Duration.ofSeconds(30)).until(meta::isActiveLeader);
  }

  private void awaitChunksLive() {
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> metaClient
        .callSync(Envelope.newBuilder().setListChunks(ListChunksRequest.getDefaultInstance()))
        .getListChunksResponse().getChunksList().stream()
        .filter(ch -> ch.getLastSeenMs() >= 0 && ch.getLastSeenMs() < 5_000).count() >= chunkCount);
  }

  public VolumeInfo createVolume(String name, long size, long extentSize, int replicas) {
    return metaClient.callSync(Envelope.newBuilder().setCreateVolume(CreateVolumeRequest.newBuilder()
        .setName(name).setSizeBytes(size).setExtentSize(extentSize).setReplicas(replicas)))
        .getVolumeResponse().getVolume();
  }

  @Override
  public List<ExtentInfo> extents(String volume) {
    return metaClient.callSync(Envelope.newBuilder().setGetExtents(GetExtentsRequest.newBuilder().setVolume(volume)))
        .getGetExtentsResponse().getExtentsList();
  }

  /** The admin call: generation and hash of {@code pid}'s replica on the chunk at {@code address}. */
  @Override
  public ReplicaStatusResponse replicaStatus(String address, long pid) {
    return rpc.client(address).call(Envelope.newBuilder().setReplicaStatus(ReplicaStatusRequest.newBuilder()
        .setPid(pid)), Duration.ofSeconds(30)).join().getReplicaStatusResponse();
  }

  @Override
  public byte[] readReplica(String address, long pid, long offset, int length) {
    Frame f = rpc.client(address).call(Envelope.newBuilder().setReadReplica(
        ReadReplicaRequest.newBuilder().setPid(pid).setOffset(offset).setLength(length)), null,
        Duration.ofSeconds(30)).join();
    try {
      return ByteBufUtil.getBytes(f.data());
    } finally {
      f.release();
    }
  }

  /** The shared RPC client of the test (for admin calls such as failpoints). */
  public RpcClientFactory rpc() {
    return rpc;
  }

  /** Stops chunk {@code index} and starts it again on the same directory and port. */
  public ChunkServer restartChunk(int index) {
    chunks.get(index).close();
    ChunkServer c = new ChunkServer(chunkConfig(index, chunkPorts.get(index))).start();
    chunks.set(index, c);
    return c;
  }

  /** Stops the meta server and starts a new one on the same ZooKeeper. */
  public MetaServer restartMeta() {
    meta.close();
    startMeta();
    return meta;
  }

  public String nbdUri(String volume) {
    return "nbd://127.0.0.1:" + nbdPort + "/" + volume;
  }

  public int nbdPort() {
    return nbdPort;
  }

  public MetaClient metaClient() {
    return metaClient;
  }

  public MetaServer meta() {
    return meta;
  }

  public ChunkServer chunk(int index) {
    return chunks.get(index);
  }

  public List<ChunkServer> chunks() {
    return List.copyOf(chunks);
  }

  public ClusterVolumeProvider volumes() {
    return volumes;
  }

  public EmbeddedZooKeeper zk() {
    return zk;
  }

  @Override
  public void close() {
    closeQuietly(nbd);
    closeQuietly(volumes);
    closeQuietly(metaClient);
    closeQuietly(locator);
    chunks.forEach(MiniCluster::closeQuietly);
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
      LoggerFactory.getLogger(MiniCluster.class).warn("close failed: {}", e.toString());
    }
  }
}
