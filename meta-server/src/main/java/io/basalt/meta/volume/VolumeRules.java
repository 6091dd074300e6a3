package io.basalt.meta.volume;

import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import java.util.regex.Pattern;

/**
 * Validation and defaults of volume parameters (DESIGN.md "Data model", "Defaults"). Pure; every rejection is
 * INVALID_ARGUMENT naming the field and the value.
 */
public final class VolumeRules {
  public static final long BLOCK = 4096;
  public static final long MIB = 1L << 20;
  public static final long MIN_EXTENT = MIB;
  public static final long MAX_EXTENT = 4L << 30;
  public static final long DEFAULT_EXTENT = 256 * MIB;
  public static final int DEFAULT_REPLICAS = 3;
  public static final int MAX_REPLICAS = 3;
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  private VolumeRules() {}

  public static String name(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw invalid("name=\"" + name + "\" is invalid: must match [A-Za-z0-9._-]{1,64}");
    }
    return name;
  }

  public static long size(long sizeBytes) {
    if (sizeBytes <= 0 || sizeBytes % BLOCK != 0) {
      throw invalid("size_bytes=" + Long.toUnsignedString(sizeBytes) + " is invalid: must be > 0 and a multiple of "
          + BLOCK);
    }
    return sizeBytes;
  }

  /** 0 means the default (3). */
  public static int replicas(int replicas) {
    if (replicas == 0) {
      return DEFAULT_REPLICAS;
    }
    if (replicas < 1 || replicas > MAX_REPLICAS) {
      throw invalid("replicas=" + Integer.toUnsignedString(replicas) + " is invalid: must be 1.." + MAX_REPLICAS);
    }
    return replicas;
  }

  /** 0 means the default (256 MiB). */
  public static long extentSize(long extentSize) {
    if (extentSize == 0) {
      return DEFAULT_EXTENT;
    }
    if (extentSize < MIN_EXTENT || extentSize > MAX_EXTENT || Long.bitCount(extentSize) != 1) {
      throw invalid("extent_size=" + Long.toUnsignedString(extentSize)
          + " is invalid: must be a power of two between 1 MiB and 4 GiB");
    }
    return extentSize;
  }

  static BasaltException invalid(String message) {
    return new BasaltException(ErrorCode.INVALID_ARGUMENT, message);
  }
}
