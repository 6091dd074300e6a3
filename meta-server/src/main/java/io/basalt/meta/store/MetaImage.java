package io.basalt.meta.store;

import io.basalt.proto.ChunkRecord;
import io.basalt.proto.IdCounters;
import io.basalt.proto.PExtentRecord;
import io.basalt.proto.RecoveryThrottle;
import io.basalt.proto.ScrubRecord;
import io.basalt.proto.ScrubThrottle;
import io.basalt.proto.VolumeRecord;
import java.util.List;
import java.util.Map;

/**
 * Everything a new leader reads from ZooKeeper at election, before it builds its in-memory tables.
 *
 * @param extentMaps vid -> extent index -> pid, merged from each volume's map pages
 * @param recoveryThrottle the operator-set throttle at config/recovery, or null when never set (defaults apply)
 * @param scrubRecords the last scrub of each pextent scrubbed at least once (scrub pages)
 * @param scrubThrottle the operator-set throttle at config/scrub, or null when never set (defaults apply)
 */
public record MetaImage(String clusterId, IdCounters ids, List<ChunkRecord> chunks, List<VolumeRecord> volumes,
    Map<Long, Map<Integer, Long>> extentMaps, List<PExtentRecord> pextents, RecoveryThrottle recoveryThrottle,
    List<ScrubRecord> scrubRecords, ScrubThrottle scrubThrottle) {
  /** Counters of an empty cluster: ids start at 1 (0 means "none" on the wire). */
  public static final IdCounters FIRST_IDS =
      IdCounters.newBuilder().setNextVid(1).setNextPid(1).setNextCid(1).build();

  public MetaImage {
    chunks = List.copyOf(chunks);
    volumes = List.copyOf(volumes);
    extentMaps = Map.copyOf(extentMaps);
    pextents = List.copyOf(pextents);
    scrubRecords = scrubRecords == null ? List.of() : List.copyOf(scrubRecords);
  }

  /** An image without scrub records. */
  public MetaImage(String clusterId, IdCounters ids, List<ChunkRecord> chunks, List<VolumeRecord> volumes,
      Map<Long, Map<Integer, Long>> extentMaps, List<PExtentRecord> pextents, RecoveryThrottle recoveryThrottle) {
    this(clusterId, ids, chunks, volumes, extentMaps, pextents, recoveryThrottle, List.of(), null);
  }

  /** An image without a stored recovery throttle. */
  public MetaImage(String clusterId, IdCounters ids, List<ChunkRecord> chunks, List<VolumeRecord> volumes,
      Map<Long, Map<Integer, Long>> extentMaps, List<PExtentRecord> pextents) {
    this(clusterId, ids, chunks, volumes, extentMaps, pextents, null);
  }
}
