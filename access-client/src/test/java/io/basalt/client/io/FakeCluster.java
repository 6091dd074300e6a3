package io.basalt.client.io;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import io.basalt.client.ClusterVolume;
import io.basalt.client.VolumeHandle;
import io.basalt.client.ClusterVolumeProvider;
import io.basalt.client.volume.Volume;
import io.basalt.common.MonotonicClock;
import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.RpcClientFactory;
import io.basalt.session.MetaClient;
import io.basalt.session.MetaLocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

/** A fake meta, {@code n} fake chunks (cids 1..n) and a real client stack pointed at them. */
final class FakeCluster implements AutoCloseable {
  static final long MIB = 1 << 20;

  final FakeChunk.Store store = new FakeChunk.Store();
  final List<FakeChunk> chunks = new ArrayList<>();
  final FakeMeta meta;
  final MetricRegistry registry = new MetricRegistry();
  final RpcClientFactory rpc;
  final MetaClient metaClient;
  private final ClientConfig config;
  private final MonotonicClock clock;
  ClusterVolumeProvider provider;

  FakeCluster(int n, ClientConfig config) {
    this(n, config, MonotonicClock.SYSTEM);
  }

  /** As above, the client reading I/O deadlines on {@code clock}. */
  FakeCluster(int n, ClientConfig config, MonotonicClock clock) {
    this.clock = clock;
    for (int cid = 1; cid <= n; cid++) {
      chunks.add(new FakeChunk(cid, store));
    }
    meta = new FakeMeta(chunks);
    chunks.forEach(c -> c.attach(meta));
    rpc = new RpcClientFactory("test-client", registry);
    metaClient = new MetaClient(MetaLocator.fixed(meta.address()), rpc, Duration.ofSeconds(5), Duration.ofSeconds(10));
    this.config = config;
    provider = new ClusterVolumeProvider(metaClient, rpc, config, registry, clock);
  }

  /** Replaces the provider with a fresh one (fresh extent map and metrics) and opens {@code name} with it. */
  VolumeHandle reopen(String name) {
    provider.close();
    provider = new ClusterVolumeProvider(metaClient, rpc, config, new MetricRegistry(), clock);
    return provider.open(name);
  }

  FakeChunk chunk(int cid) {
    return chunks.get(cid - 1);
  }

  int chunkAttempts() {
    return chunks.stream().mapToInt(c -> c.attempts.get()).sum();
  }

  static byte[] random(long seed, int n) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** Reads through the volume and releases the buffer. */
  static byte[] read(Volume volume, long offset, int length) {
    ByteBuf buf = volume.read(offset, length).join();
    try {
      assertThat(buf.readableBytes()).isEqualTo(length);
      return ByteBufUtil.getBytes(buf);
    } finally {
      buf.release();
    }
  }

  /** Writes {@code bytes} and checks the volume released the buffer. */
  static void write(Volume volume, long offset, byte[] bytes, boolean fua) {
    ByteBuf data = Unpooled.directBuffer(bytes.length).writeBytes(bytes);
    volume.write(offset, data, fua).join();
    assertThat(data.refCnt()).isZero();
  }

  /** The error code {@code f} failed with. */
  static ErrorCode codeOf(CompletableFuture<?> f) {
    try {
      f.join();
    } catch (RuntimeException e) {
      return BasaltException.of(e).code();
    }
    throw new AssertionError("expected a failure");
  }

  @Override
  public void close() {
    provider.close();
    metaClient.close();
    rpc.close();
    meta.close();
    chunks.forEach(FakeChunk::close);
  }
}
