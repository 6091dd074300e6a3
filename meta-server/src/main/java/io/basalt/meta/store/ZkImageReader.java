package io.basalt.meta.store;

import com.google.protobuf.InvalidProtocolBufferException;
import io.basalt.proto.ChunkRecord;
import io.basalt.proto.ExtentMapPage;
import io.basalt.proto.IdCounters;
import io.basalt.proto.PExtentPage;
import io.basalt.proto.PExtentRecord;
import io.basalt.proto.RecoveryThrottle;
import io.basalt.proto.ScrubPage;
import io.basalt.proto.ScrubRecord;
import io.basalt.proto.ScrubThrottle;
import io.basalt.proto.VolumeRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;

/**
 * Reads every record of one cluster into a {@link MetaImage}, plus the set of record znodes seen (the store's
 * create-or-setData bookkeeping). Blocking; runs on the elector thread while the new leader is LOADING.
 */
final class ZkImageReader {
  /** What a load produced. */
  record Loaded(MetaImage image, Set<String> knownPaths) {}

  private final CuratorFramework client;
  private final ZkPaths paths;
  private final Set<String> known = new HashSet<>();

  ZkImageReader(CuratorFramework client, ZkPaths paths) {
    this.client = client;
    this.paths = paths;
  }

  Loaded read() throws Exception {
    String clusterId = new String(client.getData().forPath(paths.clusterId()), StandardCharsets.UTF_8);
    IdCounters ids = MetaImage.FIRST_IDS;
    byte[] idBytes = dataOrNull(paths.ids());
    if (idBytes != null) {
      ids = parse(paths.ids(), () -> IdCounters.parseFrom(idBytes));
      known.add(paths.ids());
    }
    List<ChunkRecord> chunks = new ArrayList<>();
    for (String child : children(paths.chunks())) {
      String path = paths.chunks() + "/" + child;
      byte[] data = dataOrNull(path);
      if (data != null) {
        chunks.add(parse(path, () -> ChunkRecord.parseFrom(data)));
        known.add(path);
      }
    }
    List<VolumeRecord> volumes = new ArrayList<>();
    Map<Long, Map<Integer, Long>> maps = new HashMap<>();
    for (String child : children(paths.volumes())) {
      String path = paths.volumes() + "/" + child;
      byte[] data = dataOrNull(path);
      if (data == null) {
        continue;
      }
      VolumeRecord v = parse(path, () -> VolumeRecord.parseFrom(data));
      volumes.add(v);
      known.add(path);
      maps.put(v.getVid(), readMap(v.getVid()));
    }
    List<PExtentRecord> pextents = new ArrayList<>();
    for (String child : children(paths.pextents())) {
      String path = paths.pextents() + "/" + child;
      byte[] data = dataOrNull(path);
      if (data != null) {
        pextents.addAll(parse(path, () -> PExtentPage.parseFrom(data)).getPextentsList());
        known.add(path);
      }
    }
    RecoveryThrottle throttle = null;
    byte[] throttleBytes = dataOrNull(paths.recoveryThrottle());
    if (throttleBytes != null) {
      throttle = parse(paths.recoveryThrottle(), () -> RecoveryThrottle.parseFrom(throttleBytes));
      known.add(paths.recoveryThrottle());
    }
    List<ScrubRecord> scrub = new ArrayList<>();
    for (String child : children(paths.scrub())) {
      String path = paths.scrub() + "/" + child;
      byte[] data = dataOrNull(path);
      if (data != null) {
        scrub.addAll(parse(path, () -> ScrubPage.parseFrom(data)).getRecordsList());
        known.add(path);
      }
    }
    ScrubThrottle scrubThrottle = null;
    byte[] scrubThrottleBytes = dataOrNull(paths.scrubThrottle());
    if (scrubThrottleBytes != null) {
      scrubThrottle = parse(paths.scrubThrottle(), () -> ScrubThrottle.parseFrom(scrubThrottleBytes));
      known.add(paths.scrubThrottle());
    }
    return new Loaded(new MetaImage(clusterId, ids, chunks, volumes, maps, pextents, throttle, scrub, scrubThrottle),
        known);
  }

  private Map<Integer, Long> readMap(long vid) throws Exception {
    Map<Integer, Long> map = new TreeMap<>();
    String mapPath = paths.volumeMap(vid);
    if (client.checkExists().forPath(mapPath) == null) {
      return map;
    }
    known.add(mapPath);
    for (String page : children(mapPath)) {
      String path = mapPath + "/" + page;
      byte[] data = dataOrNull(path);
      if (data != null) {
        map.putAll(parse(path, () -> ExtentMapPage.parseFrom(data)).getPidsMap());
        known.add(path);
      }
    }
    return map;
  }

  private List<String> children(String path) throws Exception {
    try {
      return client.getChildren().forPath(path);
    } catch (KeeperException.NoNodeException e) {
      return List.of();
    }
  }

  private byte[] dataOrNull(String path) throws Exception {
    try {
      return client.getData().forPath(path);
    } catch (KeeperException.NoNodeException e) {
      return null;
    }
  }

  private interface Parser<T> {
    T parse() throws InvalidProtocolBufferException;
  }

  private static <T> T parse(String path, Parser<T> parser) {
    try {
      return parser.parse();
    } catch (InvalidProtocolBufferException e) {
      throw ZkMetaStore.corrupt(path, e);
    }
  }
}
