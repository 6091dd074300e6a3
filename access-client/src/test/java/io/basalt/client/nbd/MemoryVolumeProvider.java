package io.basalt.client.nbd;

import io.basalt.client.volume.Volume;
import io.basalt.client.volume.VolumeProvider;
import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/** Serves {@link MemoryVolume}s by name, as the NBD server expects of the real provider. */
final class MemoryVolumeProvider implements VolumeProvider {
  private final Map<String, Volume> volumes = new ConcurrentSkipListMap<>();
  private volatile ErrorCode failure;

  MemoryVolumeProvider add(Volume volume) {
    volumes.put(volume.name(), volume);
    return this;
  }

  /** Later open() and list() calls fail with {@code code} (as when the cluster is unreachable); null restores. */
  void failWith(ErrorCode code) {
    this.failure = code;
  }

  @Override
  public Volume open(String name) {
    if (failure != null) {
      throw new BasaltException(failure, "cluster unreachable");
    }
    Volume volume = volumes.get(name);
    if (volume == null) {
      throw new BasaltException(ErrorCode.NO_SUCH_VOLUME, "no volume named " + name);
    }
    return volume;
  }

  @Override
  public List<String> list() {
    if (failure != null) {
      throw new BasaltException(failure, "cluster unreachable");
    }
    return new ArrayList<>(volumes.keySet());
  }
}
