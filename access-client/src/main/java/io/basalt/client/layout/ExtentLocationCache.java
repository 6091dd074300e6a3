package io.basalt.client.layout;

import io.basalt.proto.AllocateExtentRequest;
import io.basalt.proto.Envelope;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.GetExtentRequest;
import io.basalt.proto.GetExtentsRequest;
import io.basalt.proto.GetExtentsResponse;
import io.basalt.proto.VolumeInfo;
import io.basalt.session.MetaClient;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One volume's extent index -> {@link ExtentLocation} map: loaded with GetExtents at open, extended by
 * AllocateExtent on first writes, updated by NOT_OWNER redirects and GetExtent refreshes. An index missing from
 * the map is unallocated as far as this client knows (reads of it return zeros without any RPC).
 *
 * <p>Thread-safe without locks: entries are immutable values in a concurrent map. Concurrent first writes to one
 * index share one AllocateExtent call, and concurrent refreshes of one index share one GetExtent call. A refresh
 * never replaces a location with one of a lower epoch, so a late meta answer cannot undo a newer one.
 */
public final class ExtentLocationCache {
  private static final Logger log = LoggerFactory.getLogger(ExtentLocationCache.class);
  /** Extents asked for per GetExtents page. */
  static final int PAGE = 1024;

  private final MetaClient meta;
  private final VolumeInfo volume;
  private final int preferredCid;
  private final int extentCount;
  private final ConcurrentHashMap<Integer, ExtentLocation> locations = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Integer, CompletableFuture<ExtentLocation>> allocating = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Integer, CompletableFuture<ExtentLocation>> refreshing = new ConcurrentHashMap<>();

  public ExtentLocationCache(MetaClient meta, VolumeInfo volume, int preferredCid) {
    this.meta = meta;
    this.volume = volume;
    this.preferredCid = preferredCid;
    this.extentCount = new ExtentMapper(volume.getExtentSize()).extentCount(volume.getSizeBytes());
  }

  /**
   * Loads every allocated extent from meta, page by page (blocking: call at open, never on an event loop). Works
   * whether meta reads {@code max_count} as a count of returned extents or as a window of indexes.
   */
  public void loadAll() {
    int first = 0;
    while (first < extentCount) {
      GetExtentsResponse r = meta.callSync(Envelope.newBuilder().setGetExtents(GetExtentsRequest.newBuilder()
          .setVolume(volume.getName()).setFirstIndex(first).setMaxCount(PAGE))).getGetExtentsResponse();
      int last = -1;
      for (ExtentInfo e : r.getExtentsList()) {
        if (e.getPid() != 0) {
          offer(ExtentLocation.of(e));
        }
        last = Math.max(last, e.getIndex());
      }
      first = r.getExtentsCount() >= PAGE && last >= first ? last + 1 : first + PAGE;
    }
    log.info("loaded extent map vid={} name={} allocated={} of {}", volume.getVid(), volume.getName(),
        locations.size(), extentCount);
  }

  /** The known location of {@code index}, or null when it is unallocated as far as this client knows. */
  public ExtentLocation get(int index) {
    return locations.get(index);
  }

  /** Allocated extents this client knows of. */
  public int size() {
    return locations.size();
  }

  /** The location of {@code index}, allocating the extent first if this client has not seen it allocated. */
  public CompletableFuture<ExtentLocation> getOrAllocate(int index) {
    ExtentLocation known = locations.get(index);
    if (known != null) {
      return CompletableFuture.completedFuture(known);
    }
    return shared(allocating, index, () -> meta.call(Envelope.newBuilder().setAllocateExtent(
        AllocateExtentRequest.newBuilder().setVid(volume.getVid()).setIndex(index).setPreferredCid(preferredCid)))
        .thenApply(resp -> {
          ExtentLocation loc = offer(ExtentLocation.of(resp.getExtentResponse().getExtent(), index));
          log.debug("allocated extent vid={} index={} pid={} epoch={} replicas={}", volume.getVid(), index,
              loc.pid(), loc.epoch(), loc.replicas());
          return loc;
        }));
  }

  /** Re-reads {@code index}'s location from meta (GetExtent by pid); completes with the cached result. */
  public CompletableFuture<ExtentLocation> refresh(int index) {
    ExtentLocation known = locations.get(index);
    if (known == null) {
      return CompletableFuture.completedFuture(null);
    }
    return shared(refreshing, index, () -> meta.call(Envelope.newBuilder().setGetExtent(
        GetExtentRequest.newBuilder().setPid(known.pid())))
        .thenApply(resp -> {
          ExtentLocation fresh = offer(ExtentLocation.of(resp.getExtentResponse().getExtent(), index));
          if (fresh.epoch() != known.epoch() || fresh.ownerCid() != known.ownerCid()) {
            log.info("extent moved vid={} index={} pid={} epoch={} -> {} owner cid={} -> cid={}", volume.getVid(),
                index, known.pid(), known.epoch(), fresh.epoch(), known.ownerCid(), fresh.ownerCid());
          }
          return fresh;
        }));
  }

  /**
   * Records a NOT_OWNER answer for the request sent with {@code sent}: the owner named (cid and/or address, either
   * may be unknown). Returns the location to use next; unchanged when the cache has moved on meanwhile.
   */
  public ExtentLocation redirect(ExtentLocation sent, int ownerCid, String ownerAddress) {
    return locations.compute(sent.index(), (i, cur) -> {
      if (cur == null || cur.pid() != sent.pid() || cur.epoch() != sent.epoch()
          || cur.ownerCid() != sent.ownerCid() || !cur.ownerAddress().equals(sent.ownerAddress())) {
        return cur == null ? sent.withOwner(ownerCid, ownerAddress) : cur;
      }
      return cur.withOwner(ownerCid, ownerAddress);
    });
  }

  /** Puts {@code loc} unless a location of a higher epoch is cached; returns what is cached afterwards. */
  ExtentLocation offer(ExtentLocation loc) {
    return locations.merge(loc.index(), loc, (cur, fresh) -> fresh.pid() == cur.pid() && fresh.epoch() < cur.epoch()
        ? cur : fresh);
  }

  /** Runs {@code call} unless one for {@code index} is already in flight; every caller gets the same result. */
  private static CompletableFuture<ExtentLocation> shared(ConcurrentHashMap<Integer,
      CompletableFuture<ExtentLocation>> inFlight, int index, Supplier<CompletableFuture<ExtentLocation>> call) {
    CompletableFuture<ExtentLocation> mine = new CompletableFuture<>();
    CompletableFuture<ExtentLocation> running = inFlight.putIfAbsent(index, mine);
    if (running != null) {
      return running;
    }
    CompletableFuture<ExtentLocation> started;
    try {
      started = call.get();
    } catch (RuntimeException e) {
      started = CompletableFuture.failedFuture(e);
    }
    started.whenComplete((loc, err) -> {
      inFlight.remove(index, mine);
      if (err != null) {
        mine.completeExceptionally(err);
      } else {
        mine.complete(loc);
      }
    });
    return mine;
  }
}
