package io.basalt.meta.state;

import io.basalt.proto.VolumeRecord;
import java.util.Objects;

/** A volume: unique name, size (grows only), replica count and extent size (a power of two). Immutable. */
public record Volume(long vid, String name, long sizeBytes, int replicas, long extentSize, long createdMs) {
  public Volume {
    Objects.requireNonNull(name, "name");
    if (vid <= 0 || sizeBytes <= 0 || replicas <= 0 || extentSize <= 0 || Long.bitCount(extentSize) != 1) {
      throw new IllegalArgumentException("bad volume vid=" + vid + " size=" + sizeBytes + " replicas=" + replicas
          + " extentSize=" + extentSize);
    }
  }

  public static Volume fromRecord(VolumeRecord r) {
    return new Volume(r.getVid(), r.getName(), r.getSizeBytes(), r.getReplicas(), r.getExtentSize(),
        r.getCreatedMs());
  }

  public VolumeRecord toRecord() {
    return VolumeRecord.newBuilder().setVid(vid).setName(name).setSizeBytes(sizeBytes).setReplicas(replicas)
        .setExtentSize(extentSize).setCreatedMs(createdMs).build();
  }

  /** Number of extents covering the volume (the last may extend past its end). */
  public long extentCount() {
    return (sizeBytes + extentSize - 1) / extentSize;
  }

  public Volume withSize(long newSizeBytes) {
    return new Volume(vid, name, newSizeBytes, replicas, extentSize, createdMs);
  }
}
