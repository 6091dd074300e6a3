package io.basalt.tester;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The per-case table (issue 14 point 5): times run and skipped, the longest QD1 pause of each run (p50 and max), the
 * time from injection to full redundancy (p50 and max), in-doubt writes, and fio passes verified and in doubt.
 */
final class CaseFigures {
  private static final class Row {
    int runs;
    int skipped;
    final List<Long> pauses = new ArrayList<>();
    final List<Long> redundancy = new ArrayList<>();
    long inDoubt;
    long fioVerified;
    long fioInDoubt;
  }

  private final Map<String, Row> rows = new LinkedHashMap<>();

  CaseFigures(List<FaultCase> cases) {
    cases.forEach(c -> rows.put(c.name(), new Row()));
  }

  synchronized void ran(String c, long pauseMs, long redundancyMs, long inDoubt, FioVerifyLoad.Result fio) {
    Row r = rows.computeIfAbsent(c, k -> new Row());
    r.runs++;
    r.pauses.add(pauseMs);
    r.redundancy.add(redundancyMs);
    r.inDoubt += inDoubt;
    r.fioVerified += fio.passesVerified();
    r.fioInDoubt += fio.passesInDoubt();
  }

  synchronized void skipped(String c) {
    rows.computeIfAbsent(c, k -> new Row()).skipped++;
  }

  synchronized int runs() {
    return rows.values().stream().mapToInt(r -> r.runs).sum();
  }

  /** The table as Markdown, one row per case. */
  synchronized String table(String title) {
    StringBuilder b = new StringBuilder(title).append('\n');
    b.append("| case | runs | skipped | QD1 pause p50 ms | QD1 pause max ms | to full redundancy p50 ms "
        + "| to full redundancy max ms | writes in doubt | fio passes verified | fio passes in doubt |\n");
    b.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    rows.forEach((name, r) -> b.append(String.format("| %s | %d | %d | %s | %s | %s | %s | %d | %d | %d |%n", name,
        r.runs, r.skipped, p50(r.pauses), max(r.pauses), p50(r.redundancy), max(r.redundancy), r.inDoubt,
        r.fioVerified, r.fioInDoubt)));
    return b.toString().stripTrailing();
  }

  static String p50(List<Long> v) {
    if (v.isEmpty()) {
      return "-";
    }
    List<Long> s = v.stream().sorted().toList();
    return Long.toString(s.get((s.size() - 1) / 2));
  }

  static String max(List<Long> v) {
    return v.isEmpty() ? "-" : Long.toString(v.stream().mapToLong(Long::longValue).max().orElseThrow());
  }
}
