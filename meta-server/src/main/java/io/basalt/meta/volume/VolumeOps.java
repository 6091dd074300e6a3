package io.basalt.meta.volume;

import io.basalt.meta.state.Liveness;
import io.basalt.meta.state.MetaState;
import io.basalt.meta.state.MetaTables;
import io.basalt.meta.state.PExtent;
import io.basalt.meta.state.Plan;
import io.basalt.meta.state.Volume;
import io.basalt.meta.store.MutationBatch;
import io.basalt.meta.store.ZkPaths;
import io.basalt.meta.view.InfoViews;
import io.basalt.proto.CreateVolumeRequest;
import io.basalt.proto.DeleteVolumeResponse;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.GetExtentsRequest;
import io.basalt.proto.GetExtentsResponse;
import io.basalt.proto.IdCounters;
import io.basalt.proto.ListVolumesResponse;
import io.basalt.proto.ResizeVolumeRequest;
import io.basalt.proto.VolumeInfo;
import io.basalt.rpc.BasaltException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Volume operations: create, get, list, delete (volume, map pages and its pextents in one multi), resize (upward
 * only) and the extent map listing. Callable from any thread; runs on the MetaLoop through {@link MetaState}.
 */
public final class VolumeOps {
  private static final Logger log = LoggerFactory.getLogger(VolumeOps.class);
  private final MetaState state;
  private final Liveness live;

  public VolumeOps(MetaState state, Liveness live) {
    this.state = state;
    this.live = live;
  }

  public CompletableFuture<VolumeInfo> create(CreateVolumeRequest req) {
    return state.mutate("createVolume", t -> {
      String name = VolumeRules.name(req.getName());
      long size = VolumeRules.size(req.getSizeBytes());
      int replicas = VolumeRules.replicas(req.getReplicas());
      long extentSize = VolumeRules.extentSize(req.getExtentSize());
      Volume existing = t.volumes().byName(name);
      if (existing != null) {
        throw new BasaltException(ErrorCode.ALREADY_EXISTS,
            "volume \"" + name + "\" already exists (vid=" + existing.vid() + ")");
      }
      long vid = t.ids().getNextVid();
      IdCounters ids = t.ids().toBuilder().setNextVid(vid + 1).build();
      Volume v = new Volume(vid, name, size, replicas, extentSize, System.currentTimeMillis());
      MutationBatch batch = new MutationBatch().putIds(ids).putVolume(v.toRecord());
      return Plan.of(batch, () -> {
        t.setIds(ids);
        t.volumes().put(v);
        log.info("volume created vid={} name={} sizeBytes={} replicas={} extentSize={}", vid, name, size, replicas,
            extentSize);
        return InfoViews.volume(v, t);
      });
    });
  }

  public CompletableFuture<VolumeInfo> get(String name) {
    return state.read(t -> InfoViews.volume(byName(t, name), t));
  }

  public CompletableFuture<ListVolumesResponse> list() {
    return state.read(t -> {
      ListVolumesResponse.Builder b = ListVolumesResponse.newBuilder();
      t.volumes().all().forEach(v -> b.addVolumes(InfoViews.volume(v, t)));
      return b.build();
    });
  }

  public CompletableFuture<DeleteVolumeResponse> delete(String name) {
    return state.mutate("deleteVolume", t -> {
      Volume v = byName(t, name);
      List<PExtent> extents = t.extents().extentsOf(v.vid());
      Set<Long> removed = new HashSet<>();
      Set<Long> pages = new TreeSet<>();
      for (PExtent pe : extents) {
        removed.add(pe.pid());
        pages.add(ZkPaths.pageOf(pe.pid()));
      }
      MutationBatch batch = new MutationBatch().deleteVolume(v.vid());
      for (long page : pages) {
        batch.putPExtentPage(page, t.extents().pextentPage(page, Map.of(), removed));
      }
      return Plan.of(batch, () -> {
        t.extents().removeVolume(v.vid());
        t.volumes().remove(v.vid());
        log.info("volume deleted vid={} name={} pextents={}", v.vid(), v.name(), removed.size());
        return DeleteVolumeResponse.getDefaultInstance();
      });
    });
  }

  /** Grows a volume; the same size is a no-op, a smaller one INVALID_ARGUMENT. */
  public CompletableFuture<VolumeInfo> resize(ResizeVolumeRequest req) {
    return state.mutate("resizeVolume", t -> {
      Volume v = byName(t, req.getName());
      long size = VolumeRules.size(req.getSizeBytes());
      if (size < v.sizeBytes()) {
        throw VolumeRules.invalid("size_bytes=" + size + " is below the current size " + v.sizeBytes()
            + " of volume \"" + v.name() + "\": volumes only grow");
      }
      if (size == v.sizeBytes()) {
        return Plan.done(() -> InfoViews.volume(v, t));
      }
      Volume grown = v.withSize(size);
      return Plan.of(new MutationBatch().putVolume(grown.toRecord()), () -> {
        t.volumes().put(grown);
        log.info("volume resized vid={} name={} sizeBytes={} -> {}", v.vid(), v.name(), v.sizeBytes(), size);
        return InfoViews.volume(grown, t);
      });
    });
  }

  /** The extent map by index, or what was allocated since a map version: see {@link ExtentMapListing}. */
  public CompletableFuture<GetExtentsResponse> getExtents(GetExtentsRequest req) {
    return state.read(t -> ExtentMapListing.list(t, live, byName(t, req.getVolume()), req));
  }

  static Volume byName(MetaTables t, String name) {
    Volume v = t.volumes().byName(name);
    if (v == null) {
      throw new BasaltException(ErrorCode.NO_SUCH_VOLUME, "volume \"" + name + "\" does not exist");
    }
    return v;
  }
}
