package io.basalt.tester;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every case the tester knows, by name, in a fixed order (the order rounds shuffle with the seed). */
final class CaseCatalog {
  private final Map<String, FaultCase> cases = new LinkedHashMap<>();

  CaseCatalog() {
    List<FaultCase> all = new ArrayList<>(ProcessFaults.cases());
    all.addAll(NetworkFaults.cases());
    all.addAll(RecoveryFaults.cases());
    all.addAll(DiskFaults.cases());
    all.forEach(c -> cases.put(c.name(), c));
    FaultCase second = new DoubleFault(Map.copyOf(cases));
    cases.put(second.name(), second);
  }

  List<FaultCase> all() {
    return List.copyOf(cases.values());
  }

  /**
   * The cases a run walks: those named (an unknown name fails with the list of known ones), else every case, or
   * every fast one.
   */
  List<FaultCase> select(List<String> names, boolean fastOnly) {
    if (names.isEmpty()) {
      return cases.values().stream().filter(c -> !fastOnly || c.fast()).toList();
    }
    List<FaultCase> chosen = new ArrayList<>();
    for (String n : names) {
      FaultCase c = cases.get(n.trim());
      if (c == null) {
        throw new IllegalArgumentException("unknown case '" + n.trim() + "'; the cases are: "
            + String.join(", ", cases.keySet()));
      }
      if (!chosen.contains(c) && (!fastOnly || c.fast())) {
        chosen.add(c);
      }
    }
    if (chosen.isEmpty()) {
      throw new IllegalArgumentException("none of the named cases is fast: " + names);
    }
    return chosen;
  }
}
