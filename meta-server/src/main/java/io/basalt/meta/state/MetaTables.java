package io.basalt.meta.state;

import io.basalt.meta.recovery.RecoveryTable;
import io.basalt.session.SessionTable;
import io.basalt.meta.store.MetaImage;
import io.basalt.proto.ChunkRecord;
import io.basalt.proto.IdCounters;
import io.basalt.meta.recovery.RecoveryThrottles;
import io.basalt.proto.PExtentRecord;
import io.basalt.proto.RecoveryThrottle;
import io.basalt.proto.VolumeRecord;
import java.util.Map;

/**
 * Every in-memory table of one leadership term, built from the {@link MetaImage} loaded at election and dropped
 * at step-down. Thread: MetaLoop only.
 */
public final class MetaTables {
  private final String clusterId;
  private final ChunkTable chunks = new ChunkTable();
  private final VolumeTable volumes = new VolumeTable();
  private final ExtentTable extents = new ExtentTable();
  private final RecoveryTable recovery = new RecoveryTable();
  private RecoveryThrottle throttle = RecoveryThrottles.DEFAULT;
  private IdCounters ids;
  private SessionTable sessions;

  private MetaTables(String clusterId, IdCounters ids) {
    this.clusterId = clusterId;
    this.ids = ids;
  }

  public static MetaTables from(MetaImage image) {
    MetaTables t = new MetaTables(image.clusterId(), image.ids());
    for (ChunkRecord r : image.chunks()) {
      t.chunks.put(Chunk.fromRecord(r));
    }
    for (VolumeRecord r : image.volumes()) {
      t.volumes.put(Volume.fromRecord(r));
    }
    for (Map.Entry<Long, Map<Integer, Long>> e : image.extentMaps().entrySet()) {
      e.getValue().forEach((index, pid) -> t.extents.putMapEntry(e.getKey(), index, pid));
    }
    for (PExtentRecord r : image.pextents()) {
      t.extents.put(PExtent.fromRecord(r));
    }
    t.throttle = RecoveryThrottles.effective(image.recoveryThrottle());
    return t;
  }

  public String clusterId() {
    return clusterId;
  }

  public IdCounters ids() {
    return ids;
  }

  public void setIds(IdCounters ids) {
    this.ids = ids;
  }

  public ChunkTable chunks() {
    return chunks;
  }

  public VolumeTable volumes() {
    return volumes;
  }

  public ExtentTable extents() {
    return extents;
  }

  /** Soft recovery state of this term (progress, cooldowns). */
  public RecoveryTable recovery() {
    return recovery;
  }

  /** The recovery throttle in force (persisted at config/recovery). */
  public RecoveryThrottle throttle() {
    return throttle;
  }

  public void setThrottle(RecoveryThrottle throttle) {
    this.throttle = throttle;
  }

  /** This term's sessions (soft state, started when the term's tables load). */
  public SessionTable sessions() {
    return sessions;
  }

  public void startSessions(SessionTable table) {
    this.sessions = table;
  }

  /** Whether {@code pe}'s lease owner holds a live session (an owner entry under a dead session is no owner). */
  public boolean ownerAlive(PExtent pe) {
    return pe.hasOwner() && sessions != null && sessions.isAlive(pe.ownerCid(), pe.ownerSession());
  }

  /** Whether chunk {@code cid} holds a live session. */
  public boolean chunkAlive(int cid) {
    return sessions != null && sessions.aliveChunk(cid).isPresent();
  }

  /** Full members of {@code pe} whose chunk holds a live session. */
  public int liveReplicas(PExtent pe) {
    int n = 0;
    for (int cid : pe.replicas()) {
      if (chunkAlive(cid)) {
        n++;
      }
    }
    return n;
  }
}
