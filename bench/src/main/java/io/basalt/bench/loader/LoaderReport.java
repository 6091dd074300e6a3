package io.basalt.bench.loader;

import io.basalt.chunk.ChunkServer;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;

/** The loader's printed result: plain text, one figure per line, easy to paste into a table. */
final class LoaderReport {
  private static final int TOP_GROUPS = 10;

  private LoaderReport() {}

  static String format(LoaderOptions o, WriteLoad.Result r, CpuMeter.Usage cpu, List<ChunkServer> chunks) {
    double seconds = r.elapsedNanos() / 1e9;
    long writes = Math.max(1, r.writes());
    double mib = r.writes() * (double) o.writeSize() / (1 << 20);
    StringBuilder out = new StringBuilder();
    out.append(String.format("basalt write loader: %d chunks, %d replicas, %d extents of %d MiB, %s writes, QD%d, "
            + "%d s (+%d s warm-up), %d cores, load average %.1f (other processes skew every figure but CPU per write)%n",
        o.chunks(), o.replicas(), o.extents(), o.extentSize() >> 20, size(o.writeSize()), o.queueDepth(), o.seconds(),
        o.warmupSeconds(), Runtime.getRuntime().availableProcessors(),
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
    out.append(String.format("writes            %d ok, %d failed%s%n", r.writes(), r.failures(),
        r.firstError() == null ? "" : " (first: " + r.firstError() + ")"));
    out.append(String.format("IOPS              %.0f%n", r.writes() / seconds));
    out.append(String.format("MB/s              %.1f (MiB/s %.1f)%n", r.writes() * (double) o.writeSize() / 1e6 / seconds,
        mib / seconds));
    out.append(String.format("latency us        p50 %d, p99 %d, max %d%n", us(Latencies.percentile(r.sortedLatencyNanos(), 50)),
        us(Latencies.percentile(r.sortedLatencyNanos(), 99)), us(Latencies.percentile(r.sortedLatencyNanos(), 100))));
    out.append(String.format("CPU us per write  %.0f process, %.0f sum of Java threads (the rest: GC, JIT, RocksDB)%n", cpu.processNanos() / 1e3 / writes,
        cpu.threadNanos() / 1e3 / writes));
    if (o.writeSize() >= (1 << 20)) {
      out.append(String.format("CPU us per MiB    %.0f process%n", cpu.processNanos() / 1e3 / Math.max(mib, 1e-9)));
    }
    out.append(String.format("CPU load          %.2f cores (process)%n", cpu.processNanos() / (double) r.elapsedNanos()));
    out.append("commit batch      ").append(BatchSizes.describe(chunks, BatchSizes.COMMIT)).append('\n');
    out.append("replicate batch   ").append(BatchSizes.describe(chunks, BatchSizes.REPLICATE)).append('\n');
    out.append("CPU us per write by thread group (top ").append(TOP_GROUPS).append("):\n");
    int shown = 0;
    for (Map.Entry<String, Long> g : cpu.byGroup().entrySet()) {
      if (shown++ == TOP_GROUPS) {
        break;
      }
      out.append(String.format("    %-32s %8.1f%n", g.getKey(), g.getValue() / 1e3 / writes));
    }
    return out.toString();
  }

  private static long us(long nanos) {
    return nanos / 1000;
  }

  private static String size(int bytes) {
    return bytes % (1 << 20) == 0 ? (bytes >> 20) + " MiB" : (bytes >> 10) + " KiB";
  }
}
