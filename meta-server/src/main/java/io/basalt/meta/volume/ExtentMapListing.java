package io.basalt.meta.volume;

import io.basalt.meta.state.Liveness;
import io.basalt.meta.state.MetaTables;
import io.basalt.meta.state.PExtent;
import io.basalt.meta.state.Volume;
import io.basalt.meta.view.InfoViews;
import io.basalt.proto.GetExtentsRequest;
import io.basalt.proto.GetExtentsResponse;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * GetExtents: a volume's extent map by index (pages from {@code first_index}), or, with {@code allocated_after},
 * only what was allocated since a map version. Block clients keep the map as a cache and ask for the changes on a
 * miss (DESIGN.md "Block client and NBD"), so the changes must be cheap to find.
 *
 * <p>A map version is a pid: {@link ExtentOps#allocate} takes pids one at a time from {@code ids.next_pid}, in
 * commit order (mutations run one at a time), persists the counter in the same multi, and a pid never moves to
 * another index. So the map at version V is exactly its entries with pid <= V, and every later allocation has a
 * larger pid. The current version is {@code next_pid - 1}: cluster-wide, so an idle volume's version still moves
 * on, and asking "since V" scans only what the whole cluster allocated since V, or the volume's own map when that
 * is smaller.
 *
 * <p>Thread: MetaLoop only (called inside {@link io.basalt.meta.state.MetaState#read}).
 */
final class ExtentMapListing {
  private ExtentMapListing() {}

  static GetExtentsResponse list(MetaTables t, Liveness live, Volume v, GetExtentsRequest req) {
    GetExtentsResponse.Builder b = GetExtentsResponse.newBuilder().setVolume(InfoViews.volume(v, t))
        .setMapVersion(currentVersion(t));
    long max = req.getMaxCount() == 0 ? Long.MAX_VALUE : Integer.toUnsignedLong(req.getMaxCount());
    if (req.hasAllocatedAfter()) {
      since(t, live, v, req.getAllocatedAfter(), max, b);
    } else {
      byIndex(t, live, v, Integer.toUnsignedLong(req.getFirstIndex()), max, b);
    }
    return b.build();
  }

  /** The highest pid allocated so far, in any volume (0 before the first allocation). */
  static long currentVersion(MetaTables t) {
    return Math.max(0, t.ids().getNextPid() - 1);
  }

  private static void byIndex(MetaTables t, Liveness live, Volume v, long first, long max,
      GetExtentsResponse.Builder b) {
    if (first > Integer.MAX_VALUE) {
      return;
    }
    for (long pid : t.extents().mapOf(v.vid()).tailMap((int) first, true).values()) {
      if (b.getExtentsCount() >= max) {
        b.setMore(true);
        return;
      }
      PExtent pe = t.extents().get(pid);
      if (pe != null) {
        b.addExtents(InfoViews.extent(pe, t, live));
      }
    }
  }

  /** Extents of {@code v} with pid > {@code after}, ascending; cut at {@code max} with the last pid as version. */
  private static void since(MetaTables t, Liveness live, Volume v, long after, long max, GetExtentsResponse.Builder b) {
    long allocatedSince = b.getMapVersion() - after;  // pids handed out since: an upper bound of that scan
    if (allocatedSince <= 0) {
      return;
    }
    List<PExtent> found = new ArrayList<>();
    if (allocatedSince <= t.extents().allocatedCount(v.vid())) {
      for (PExtent pe : t.extents().allocatedAfter(after)) {
        if (pe.vid() == v.vid()) {
          found.add(pe);
          if (found.size() > max) {
            break;
          }
        }
      }
    } else {
      for (long pid : t.extents().mapOf(v.vid()).values()) {
        PExtent pe = pid > after ? t.extents().get(pid) : null;
        if (pe != null) {
          found.add(pe);
        }
      }
      found.sort(Comparator.comparingLong(PExtent::pid));
    }
    for (PExtent pe : found) {
      if (b.getExtentsCount() >= max) {
        b.setMore(true).setMapVersion(b.getExtents(b.getExtentsCount() - 1).getPid());
        return;
      }
      b.addExtents(InfoViews.extent(pe, t, live));
    }
  }
}
