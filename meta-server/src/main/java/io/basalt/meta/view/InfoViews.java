package io.basalt.meta.view;

import io.basalt.meta.state.Chunk;
import io.basalt.meta.state.Liveness;
import io.basalt.meta.state.MetaTables;
import io.basalt.meta.state.PExtent;
import io.basalt.meta.state.Volume;
import io.basalt.proto.ChunkInfo;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.VolumeInfo;
import java.util.concurrent.TimeUnit;

/**
 * Wire views of table values, shared by every component that answers with a chunk, volume or extent. An extent's
 * owner is shown only while its session lives ({@link Liveness}). Thread: MetaLoop (reads tables).
 */
public final class InfoViews {
  private InfoViews() {}

  public static VolumeInfo volume(Volume v, MetaTables t) {
    return VolumeInfo.newBuilder().setVid(v.vid()).setName(v.name()).setSizeBytes(v.sizeBytes())
        .setReplicas(v.replicas()).setExtentSize(v.extentSize())
        .setAllocatedExtents(t.extents().allocatedCount(v.vid())).setCreatedMs(v.createdMs()).build();
  }

  public static ChunkInfo chunk(Chunk c, MetaTables t, long nowNanos) {
    long lastSeenMs = c.everSeen() ? TimeUnit.NANOSECONDS.toMillis(nowNanos - c.lastSeenNanos()) : -1;
    return ChunkInfo.newBuilder().setCid(c.cid()).setAddress(c.address()).setZone(c.zone()).setStatus(c.status())
        .setCapacityBytes(c.capacityBytes()).setUsedBytes(c.usedBytes())
        .setReplicaCount(t.extents().replicaCount(c.cid())).setAdminAddress(c.adminAddress())
        .setLastSeenMs(lastSeenMs).setFull(c.full()).build();
  }

  public static ExtentInfo extent(PExtent pe, MetaTables t, Liveness live) {
    Volume v = t.volumes().get(pe.vid());
    ExtentInfo.Builder b = ExtentInfo.newBuilder().setIndex(pe.index()).setPid(pe.pid()).addAllReplicas(pe.replicas())
        .setEpoch(pe.epoch()).setState(pe.state()).setVid(pe.vid())
        .setExtentSize(v == null ? 0 : v.extentSize());
    if (live.ownerAlive(pe)) {
      // An owner entry under a session that ended is no owner: clients then go to a replica, which asks.
      b.setOwnerCid(pe.ownerCid()).setOwnerSession(pe.ownerSession());
    }
    for (int cid : pe.replicas()) {
      Chunk c = t.chunks().get(cid);
      b.addReplicaAddresses(c == null ? "" : c.address());
    }
    if (pe.recovering()) {
      Chunk target = t.chunks().get(pe.recoveringCid());
      b.setRecoveringCid(pe.recoveringCid()).setRecoveryEpoch(pe.recoveryEpoch())
          .setRecoveringAddress(target == null ? "" : target.address());
    }
    return b.build();
  }
}
