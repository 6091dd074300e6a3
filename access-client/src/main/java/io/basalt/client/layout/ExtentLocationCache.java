package io.basalt.client.layout;

import io.basalt.proto.AllocateExtentRequest;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.GetExtentRequest;
import io.basalt.proto.GetExtentsRequest;
import io.basalt.proto.GetExtentsResponse;
import io.basalt.proto.VolumeInfo;
import io.basalt.rpc.BasaltException;
import io.basalt.session.MetaClient;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One volume's extent index -> {@link ExtentLocation} map and size, as this client last learned them from meta: a
 * cache, never the truth (DESIGN.md "Block client and NBD": other clients of the volume allocate and resize too).
 * Loaded with GetExtents at open, extended by AllocateExtent on first writes, updated by NOT_OWNER redirects and
 * GetExtent refreshes. An index missing from the map is not known to be unallocated: {@link #sync} asks meta what
 * was allocated since the map version this cache is complete up to (GetExtents {@code allocated_after}), through a
 * {@link FreshLookup}, so the answer comes from a lookup sent after the caller asked and every extent it finds is
 * cached. There is no negative cache. The size only grows (meta refuses to shrink a volume); every lookup and
 * {@link #adoptSize} may grow it.
 *
 * <p>Thread-safe: entries are immutable values in a concurrent map, the size an atomic. Concurrent first writes to
 * one index share one AllocateExtent call, concurrent refreshes of one index share one GetExtent call, and misses
 * share lookups as {@link FreshLookup} says. A refresh never replaces a location with one of a lower epoch, so a
 * late meta answer cannot undo a newer one. The hot path ({@link #get}) is one map read.
 */
public final class ExtentLocationCache {
  private static final Logger log = LoggerFactory.getLogger(ExtentLocationCache.class);
  /** Extents asked for per GetExtents page. */
  static final int PAGE = 1024;

  private final MetaClient meta;
  private final VolumeInfo volume;
  private final int preferredCid;
  private final ExtentMapper mapper;
  private final AtomicLong sizeBytes;
  private final FreshLookup lookups = new FreshLookup(this::catchUp);
  /**
   * Every extent with a pid up to this map version is cached (GetExtentsResponse.map_version). Written by
   * {@link #loadAll} before the cache is shared, then only by the one lookup {@link FreshLookup} runs at a time.
   */
  private volatile long mapVersion;
  private final ConcurrentHashMap<Integer, ExtentLocation> locations = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Integer, CompletableFuture<ExtentLocation>> allocating = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Integer, CompletableFuture<ExtentLocation>> refreshing = new ConcurrentHashMap<>();

  public ExtentLocationCache(MetaClient meta, VolumeInfo volume, int preferredCid) {
    this.meta = meta;
    this.volume = volume;
    this.preferredCid = preferredCid;
    this.mapper = new ExtentMapper(volume.getExtentSize());
    this.sizeBytes = new AtomicLong(volume.getSizeBytes());
  }

  /**
   * Loads every allocated extent from meta, page by page (blocking: call at open, never on an event loop). Works
   * whether meta reads {@code max_count} as a count of returned extents or as a window of indexes. The cache is
   * then complete up to the map version of the first page: whatever is allocated later has a higher pid.
   */
  public void loadAll() {
    int first = 0;
    boolean firstPage = true;
    while (first < mapper.extentCount(sizeBytes())) {
      GetExtentsResponse r = checked(meta.callSync(Envelope.newBuilder().setGetExtents(GetExtentsRequest.newBuilder()
          .setVolume(volume.getName()).setFirstIndex(first).setMaxCount(PAGE))).getGetExtentsResponse());
      if (firstPage) {
        mapVersion = r.getMapVersion();
        firstPage = false;
      }
      adoptSize(r.getVolume().getSizeBytes());
      int last = -1;
      for (ExtentInfo e : r.getExtentsList()) {
        if (e.getPid() != 0) {
          offer(ExtentLocation.of(e));
        }
        last = Math.max(last, e.getIndex());
      }
      first = r.getExtentsCount() >= PAGE && last >= first ? last + 1 : first + PAGE;
    }
    log.info("loaded extent map vid={} name={} allocated={} of {} mapVersion={}", volume.getVid(), volume.getName(),
        locations.size(), mapper.extentCount(sizeBytes()), mapVersion);
  }

  /**
   * Completes once a lookup sent after this call has brought the map and the size up to date with meta: then an
   * index still missing from the cache was unallocated when meta answered (after this call).
   */
  public CompletableFuture<Void> sync() {
    return lookups.request();
  }

  /** The volume's size in bytes as last learned (it only grows). */
  public long sizeBytes() {
    return sizeBytes.get();
  }

  /** Adopts a size meta reported, if larger (a resize by another client); returns the size now in force. */
  public long adoptSize(long size) {
    long before = sizeBytes.get();
    long now = sizeBytes.accumulateAndGet(size, Math::max);
    if (now != before) {
      log.info("volume grew vid={} name={} sizeBytes={} -> {}", volume.getVid(), volume.getName(), before, now);
    }
    return now;
  }

  /** One lookup: the extents allocated since {@link #mapVersion}, page by page, and the size. */
  private CompletableFuture<Void> catchUp() {
    return catchUp(mapVersion, 0);
  }

  private CompletableFuture<Void> catchUp(long after, int found) {
    return meta.call(Envelope.newBuilder().setGetExtents(GetExtentsRequest.newBuilder().setVolume(volume.getName())
        .setAllocatedAfter(after).setMaxCount(PAGE))).thenCompose(resp -> {
          GetExtentsResponse r = checked(resp.getGetExtentsResponse());
          for (ExtentInfo e : r.getExtentsList()) {
            if (e.getPid() != 0) {
              offer(ExtentLocation.of(e));
            }
          }
          adoptSize(r.getVolume().getSizeBytes());
          mapVersion = r.getMapVersion();
          int total = found + r.getExtentsCount();
          if (r.getMore() && r.getMapVersion() > after) {
            return catchUp(r.getMapVersion(), total);
          }
          if (total > 0) {
            log.debug("extents allocated elsewhere vid={} name={} found={} mapVersion={}", volume.getVid(),
                volume.getName(), total, r.getMapVersion());
          }
          return CompletableFuture.<Void>completedFuture(null);
        });
  }

  /** {@code r}, unless its volume is no longer this one (deleted, and maybe recreated under the same name). */
  private GetExtentsResponse checked(GetExtentsResponse r) {
    if (r.getVolume().getVid() != volume.getVid()) {
      throw new BasaltException(ErrorCode.NO_SUCH_VOLUME, "volume " + volume.getName() + " vid=" + volume.getVid()
          + " was deleted (the name now belongs to vid=" + r.getVolume().getVid() + ")", false);
    }
    return r;
  }

  /** The cached location of {@code index}, or null when not cached (see {@link #sync}: it may be allocated). */
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

  /**
   * Records a STALE_EPOCH answer of the owner {@code sent} went to: the extent is at {@code epoch} now (its membership
   * or lease moved). The cached location is moved to that epoch, keeping what else it knows (a refresh fills in the
   * rest), so the request can be sent again at once. Returns the location to use next.
   */
  public ExtentLocation epochMoved(ExtentLocation sent, long epoch) {
    return locations.compute(sent.index(), (i, cur) -> {
      ExtentLocation base = cur == null ? sent : cur;
      return base.pid() == sent.pid() && base.epoch() < epoch ? base.withEpoch(epoch) : base;
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
