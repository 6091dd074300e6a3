package io.basalt.client;

import com.codahale.metrics.MetricRegistry;
import io.basalt.client.io.ClientConfig;
import io.basalt.client.io.ClientMetrics;
import io.basalt.client.io.IoRouter;
import io.basalt.client.layout.ExtentLocationCache;
import io.basalt.client.volume.VolumeProvider;
import io.basalt.common.MonotonicClock;
import io.basalt.common.NamedThreads;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.GetVolumeRequest;
import io.basalt.proto.ListVolumesRequest;
import io.basalt.proto.VolumeInfo;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.RpcClientFactory;
import io.basalt.session.MetaClient;
import io.netty.util.HashedWheelTimer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens cluster volumes by name: GetVolume, then the whole extent map (GetExtents), once per name; later opens of
 * the same name share that {@link ClusterVolume}, each through its own {@link VolumeHandle} (one per NBD
 * connection), after re-validating it with GetVolume (other clients may resize, delete or recreate it: DESIGN.md
 * "Block client and NBD"): a larger size is adopted, so a new connection's handshake shows it; a name now naming
 * another vid (deleted and recreated) gets a fresh volume; a name meta no longer knows fails NO_SUCH_VOLUME and is
 * forgotten. Concurrent first opens of one name share one load; a failed load is not cached.
 *
 * <p>Owns the retry timer and the client metrics; does not own the {@link MetaClient} or the
 * {@link RpcClientFactory} (the caller closes those after this). {@link #open} blocks on meta: never call it on an
 * event loop.
 */
public final class ClusterVolumeProvider implements VolumeProvider, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ClusterVolumeProvider.class);

  private final MetaClient meta;
  private final RpcClientFactory rpc;
  private final ClientConfig config;
  private final ClientMetrics metrics;
  /** Retries, hedges and the late-arrival slack: a wheel, as they are armed per attempt and mostly cancelled. */
  private final HashedWheelTimer timer = new HashedWheelTimer(new NamedThreads("client-timer"), 10,
      TimeUnit.MILLISECONDS);
  private final ConcurrentHashMap<String, CompletableFuture<ClusterVolume>> volumes = new ConcurrentHashMap<>();
  private final AtomicLong handles = new AtomicLong();

  private final MonotonicClock clock;

  public ClusterVolumeProvider(MetaClient meta, RpcClientFactory rpc, ClientConfig config, MetricRegistry registry) {
    this(meta, rpc, config, registry, MonotonicClock.SYSTEM);
  }

  /** As above, with I/O deadlines read on {@code clock} (unit tests drive it by hand). */
  public ClusterVolumeProvider(MetaClient meta, RpcClientFactory rpc, ClientConfig config, MetricRegistry registry,
      MonotonicClock clock) {
    this.meta = meta;
    this.clock = clock;
    this.rpc = rpc;
    this.config = config;
    this.metrics = new ClientMetrics(registry);
    log.info("block client config ioDeadline={} callDeadline={} preferredCid={} maxBackoff={} hedgeAfter={}",
        config.ioDeadline(), config.callDeadline(), config.preferredCid(), config.maxBackoff(), config.hedgeAfter());
  }

  public ClientMetrics metrics() {
    return metrics;
  }

  /**
   * Opens {@code name} for one user: a {@link VolumeHandle} of the shared volume, served only once the I/O of every
   * closed handle of it has ended (see {@link ClusterVolume#awaitDrained}). Blocks.
   */
  @Override
  public VolumeHandle open(String name, String user) {
    ClusterVolume v = shared(name);
    v.awaitDrained(drainTimeout());
    return v.newHandle(user + " on " + name + " #" + handles.incrementAndGet());
  }

  @Override
  public VolumeHandle open(String name) {
    return open(name, "user");
  }

  /** The longest an attempt of a closed connection can stay on the wire, plus a margin. */
  private Duration drainTimeout() {
    return config.callDeadline().plus(IoRouter.LATE_ARRIVAL_SLACK).plusSeconds(1);
  }

  /**
   * The one {@link ClusterVolume} of {@code name}, shared by every handle: loaded on first use, re-validated with
   * meta on every later one (see {@link #revalidate}).
   */
  public ClusterVolume shared(String name) {
    if (name == null || name.isEmpty()) {
      throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "empty volume name", false);
    }
    CompletableFuture<ClusterVolume> mine = new CompletableFuture<>();
    CompletableFuture<ClusterVolume> existing = volumes.putIfAbsent(name, mine);
    if (existing != null) {
      VolumeInfo now = revalidate(name, existing);
      if (now == null || !volumes.replace(name, existing, mine)) {
        return join(volumes.getOrDefault(name, existing));
      }
      return loadInto(mine, name, now);
    }
    return loadInto(mine, name, null);
  }

  /** Loads {@code name} (described by {@code info}, or null to ask meta) and completes {@code mine} with it. */
  private ClusterVolume loadInto(CompletableFuture<ClusterVolume> mine, String name, VolumeInfo info) {
    try {
      ClusterVolume v = load(name, info);
      mine.complete(v);
      return v;
    } catch (RuntimeException e) {
      volumes.remove(name, mine);
      BasaltException b = BasaltException.of(e);
      mine.completeExceptionally(b);
      throw b;
    }
  }

  /**
   * Checks the shared volume {@code existing} holds against meta (GetVolume, blocking): adopts a larger size and
   * returns null when it is still the same volume; returns what meta describes when the name now belongs to another
   * vid (the caller loads that). Fails NO_SUCH_VOLUME, forgetting the name, when meta no longer knows it.
   */
  private VolumeInfo revalidate(String name, CompletableFuture<ClusterVolume> existing) {
    ClusterVolume v = join(existing);
    VolumeInfo info;
    try {
      info = getVolume(name);
    } catch (BasaltException e) {
      if (e.code() == ErrorCode.NO_SUCH_VOLUME && volumes.remove(name, existing)) {
        log.info("volume gone vid={} name={}: forgotten", v.vid(), name);
      }
      throw e;
    }
    if (info.getVid() != v.vid()) {
      log.info("volume recreated name={} vid={} -> {}: opening the new one", name, v.vid(), info.getVid());
      return info;
    }
    v.adoptSize(info.getSizeBytes());
    return null;
  }

  private static ClusterVolume join(CompletableFuture<ClusterVolume> f) {
    try {
      return f.join();
    } catch (RuntimeException e) {
      throw BasaltException.of(e);
    }
  }

  private VolumeInfo getVolume(String name) {
    return meta.callSync(Envelope.newBuilder().setGetVolume(GetVolumeRequest.newBuilder().setName(name)))
        .getVolumeResponse().getVolume();
  }

  private ClusterVolume load(String name, VolumeInfo known) {
    VolumeInfo info = known != null ? known : getVolume(name);
    if (info.getVid() == 0 || info.getExtentSize() == 0) {
      throw new BasaltException(ErrorCode.INTERNAL, "meta described volume " + name + " without vid or extent size: "
          + info, false);
    }
    ExtentLocationCache cache = new ExtentLocationCache(meta, info, config.preferredCid());
    cache.loadAll();
    log.info("opened volume vid={} name={} size={} extentSize={} replicas={} allocated={}", info.getVid(), name,
        info.getSizeBytes(), info.getExtentSize(), info.getReplicas(), cache.size());
    return new ClusterVolume(info, cache, rpc, config, metrics, timer, clock);
  }

  @Override
  public List<String> list() {
    return meta.callSync(Envelope.newBuilder().setListVolumes(ListVolumesRequest.getDefaultInstance()))
        .getListVolumesResponse().getVolumesList().stream().map(VolumeInfo::getName).sorted().toList();
  }

  /** Stops retry scheduling: I/O still retrying then fails with its last error. Idempotent. */
  @Override
  public void close() {
    timer.stop();
    volumes.clear();
  }
}
