package io.basalt.bench.loader;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * CPU time this JVM spent between two snapshots: the process total (what the OS charges: JIT, GC and RocksDB's native
 * flush/compaction threads included, none of which are Java threads) and
 * the sum over its threads, grouped by thread name with digits folded ({@code chunk-ordered-3} ->
 * {@code chunk-ordered-#}) to show where the time goes. Threads that ended between the snapshots are missing from
 * the sum, which is why the process figure is the one to compare.
 */
final class CpuMeter {
  private final com.sun.management.OperatingSystemMXBean os =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();

  record Snapshot(long processNanos, Map<Long, Long> threadNanos, Map<Long, String> threadNames) {}

  /** CPU between two snapshots: process total, thread sum, and per thread-name group (largest first). */
  record Usage(long processNanos, long threadNanos, Map<String, Long> byGroup) {}

  CpuMeter() {
    if (threads.isThreadCpuTimeSupported() && !threads.isThreadCpuTimeEnabled()) {
      threads.setThreadCpuTimeEnabled(true);
    }
  }

  Snapshot snapshot() {
    Map<Long, Long> cpu = new HashMap<>();
    Map<Long, String> names = new HashMap<>();
    long[] ids = threads.getAllThreadIds();
    ThreadInfo[] infos = threads.getThreadInfo(ids);
    for (int i = 0; i < ids.length; i++) {
      long t = threads.getThreadCpuTime(ids[i]);
      if (t >= 0 && infos[i] != null) {
        cpu.put(ids[i], t);
        names.put(ids[i], infos[i].getThreadName());
      }
    }
    return new Snapshot(os.getProcessCpuTime(), cpu, names);
  }

  static Usage between(Snapshot start, Snapshot end) {
    long sum = 0;
    Map<String, Long> groups = new HashMap<>();
    for (Map.Entry<Long, Long> e : end.threadNanos().entrySet()) {
      long delta = e.getValue() - start.threadNanos().getOrDefault(e.getKey(), 0L);
      sum += delta;
      groups.merge(group(end.threadNames().get(e.getKey())), delta, Long::sum);
    }
    Map<String, Long> sorted = new TreeMap<>((a, b) -> {
      int c = Long.compare(groups.get(b), groups.get(a));
      return c != 0 ? c : a.compareTo(b);
    });
    sorted.putAll(groups);
    return new Usage(end.processNanos() - start.processNanos(), sum, sorted);
  }

  static String group(String threadName) {
    return threadName == null ? "?" : threadName.replaceAll("\\d+", "#");
  }
}
