package io.basalt.meta.state;

import io.basalt.meta.store.MetaImage;
import io.basalt.proto.ChunkRecord;
import io.basalt.proto.IdCounters;
import io.basalt.proto.PExtentRecord;
import io.basalt.proto.RecoveryThrottle;
import io.basalt.proto.ScrubRecord;
import io.basalt.proto.ScrubThrottle;
import io.basalt.proto.VolumeRecord;
import java.util.HashMap;
import java.util.Map;

/**
 * The durable tables of one leadership term (chunks, volumes, extent maps and pextents, id counters, the recovery
 * throttle), built from the {@link MetaImage} loaded at election and dropped at step-down. Soft state of the term
 * (sessions, recovery progress) is not here: each component keeps its own ({@link TermState}). Thread: MetaLoop
 * only.
 */
public final class MetaTables {
  private final String clusterId;
  private final ChunkTable chunks = new ChunkTable();
  private final VolumeTable volumes = new VolumeTable();
  private final ExtentTable extents = new ExtentTable();
  private RecoveryThrottle recoveryThrottle;
  private final Map<Long, ScrubRecord> scrubRecords = new HashMap<>();
  private ScrubThrottle scrubThrottle;
  private IdCounters ids;

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
    t.recoveryThrottle = image.recoveryThrottle();
    for (ScrubRecord r : image.scrubRecords()) {
      t.scrubRecords.put(r.getPid(), r);
    }
    t.scrubThrottle = image.scrubThrottle();
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

  /**
   * The recovery throttle as persisted at config/recovery (null when never set); the recovery component applies its
   * defaults to it.
   */
  public RecoveryThrottle recoveryThrottle() {
    return recoveryThrottle;
  }

  public void setRecoveryThrottle(RecoveryThrottle throttle) {
    this.recoveryThrottle = throttle;
  }

  /**
   * The last scrub of each pextent scrubbed at least once, as persisted at scrub/&lt;page&gt; (the scrub component
   * reads it, and changes it only after ZooKeeper confirmed the page write).
   */
  public Map<Long, ScrubRecord> scrubRecords() {
    return scrubRecords;
  }

  /** The scrub throttle as persisted at config/scrub (null when never set); the scrub component applies defaults. */
  public ScrubThrottle scrubThrottle() {
    return scrubThrottle;
  }

  public void setScrubThrottle(ScrubThrottle throttle) {
    this.scrubThrottle = throttle;
  }
}
