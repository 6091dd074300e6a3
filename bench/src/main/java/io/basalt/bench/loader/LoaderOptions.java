package io.basalt.bench.loader;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Flags of {@link WriteLoader}. Parsing refuses anything unknown or out of range with a message naming the flag, so
 * a typo never runs a benchmark with defaults the user did not mean.
 */
public record LoaderOptions(
    int seconds, int warmupSeconds, int writeSize, int queueDepth, int extents, long extentSize, int replicas,
    int chunks, Path dir) {
  static final int BLOCK = 4096;
  static final String USAGE = """
      usage: WriteLoader [--seconds N] [--warmup N] [--size 4k|1m|BYTES] [--qd N] [--extents N]
                         [--extent-size 16m] [--replicas N] [--chunks N] [--dir DIR]
        --seconds      measured run (default 10)
        --warmup       unmeasured run before it, for the JIT and RocksDB (default 3)
        --size         bytes per write, a multiple of 4k (default 4k; 4k writes are random, larger ones sequential)
        --qd           writes in flight (default 16; use 4 with --size 1m)
        --extents      extents of the volume, i.e. pids the writes spread over (default 4)
        --extent-size  a power of two, at least 1m (default 16m)
        --replicas     replicas per extent (default 3), at most --chunks
        --chunks       chunk servers started in this JVM (default 3)
        --dir          data directory (default: a new temp directory, deleted at the end)
      """;

  public LoaderOptions {
    require(seconds >= 1, "--seconds must be >= 1: " + seconds);
    require(warmupSeconds >= 0, "--warmup must be >= 0: " + warmupSeconds);
    require(writeSize >= BLOCK && writeSize % BLOCK == 0, "--size must be a positive multiple of 4k: " + writeSize);
    require(queueDepth >= 1 && queueDepth <= 1024, "--qd must be in [1, 1024]: " + queueDepth);
    require(extents >= 1 && extents <= 1024, "--extents must be in [1, 1024]: " + extents);
    require(extentSize >= (1 << 20) && Long.bitCount(extentSize) == 1,
        "--extent-size must be a power of two of at least 1m: " + extentSize);
    require(writeSize <= extentSize, "--size " + writeSize + " exceeds --extent-size " + extentSize);
    require(chunks >= 1 && chunks <= 16, "--chunks must be in [1, 16]: " + chunks);
    require(replicas >= 1 && replicas <= chunks, "--replicas must be in [1, --chunks=" + chunks + "]: " + replicas);
  }

  public static LoaderOptions defaults() {
    return new LoaderOptions(10, 3, BLOCK, 16, 4, 16L << 20, 3, 3, null);
  }

  public long volumeSize() {
    return extents * extentSize;
  }

  /** Parses {@code args} over the defaults; IllegalArgumentException with a readable message on any mistake. */
  public static LoaderOptions parse(List<String> args) {
    LoaderOptions o = defaults();
    int seconds = o.seconds;
    int warmup = o.warmupSeconds;
    int size = o.writeSize;
    int qd = o.queueDepth;
    int extents = o.extents;
    long extentSize = o.extentSize;
    int replicas = o.replicas;
    int chunks = o.chunks;
    Path dir = null;
    for (int i = 0; i < args.size(); i++) {
      String flag = args.get(i);
      if (i + 1 >= args.size()) {
        throw new IllegalArgumentException(flag.startsWith("--") && isKnown(flag)
            ? flag + " needs a value" : "unknown flag: " + flag);
      }
      String value = args.get(++i);
      switch (flag) {
        case "--seconds" -> seconds = intValue(flag, value);
        case "--warmup" -> warmup = intValue(flag, value);
        case "--size" -> size = Math.toIntExact(Math.min(Integer.MAX_VALUE, bytes(flag, value)));
        case "--qd" -> qd = intValue(flag, value);
        case "--extents" -> extents = intValue(flag, value);
        case "--extent-size" -> extentSize = bytes(flag, value);
        case "--replicas" -> replicas = intValue(flag, value);
        case "--chunks" -> chunks = intValue(flag, value);
        case "--dir" -> dir = Path.of(value);
        default -> throw new IllegalArgumentException("unknown flag: " + flag);
      }
    }
    return new LoaderOptions(seconds, warmup, size, qd, extents, extentSize, replicas, chunks, dir);
  }

  private static boolean isKnown(String flag) {
    return List.of("--seconds", "--warmup", "--size", "--qd", "--extents", "--extent-size", "--replicas", "--chunks",
        "--dir").contains(flag);
  }

  private static int intValue(String flag, String value) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " takes a whole number, not '" + value + "'");
    }
  }

  /** {@code 4096}, {@code 4k}, {@code 1m}, {@code 16M}, {@code 1g} (binary units). */
  static long bytes(String flag, String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    int shift = 0;
    if (!v.isEmpty()) {
      switch (v.charAt(v.length() - 1)) {
        case 'k' -> shift = 10;
        case 'm' -> shift = 20;
        case 'g' -> shift = 30;
        default -> shift = 0;
      }
    }
    String digits = shift == 0 ? v : v.substring(0, v.length() - 1);
    try {
      long n = Long.parseLong(digits);
      if (n <= 0 || n > (Long.MAX_VALUE >> shift)) {
        throw new NumberFormatException();
      }
      return n << shift;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " takes a positive size such as 4096, 4k or 1m, not '" + value + "'");
    }
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
