package io.basalt.meta.recovery;

import io.basalt.meta.state.ExtentTable;
import io.basalt.meta.state.PExtent;
import io.basalt.meta.store.MutationBatch;
import io.basalt.meta.store.ZkPaths;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Persisting changed pextents that do not change the lease owner: one page write per touched pextent page, and an
 * apply that keeps the owner the table holds when the change lands. Owner changes are soft and may happen between a
 * plan and its commit (a session ending releases its leases at once); a membership change must not bring a released
 * owner back. Thread: MetaLoop.
 */
final class ExtentWrites {
  private ExtentWrites() {}

  /** Adds the pages holding {@code changed} (their other pextents as the table has them) to {@code batch}. */
  static MutationBatch pages(MutationBatch batch, ExtentTable table, Collection<PExtent> changed) {
    TreeMap<Long, Map<Long, PExtent>> byPage = new TreeMap<>();
    for (PExtent pe : changed) {
      byPage.computeIfAbsent(ZkPaths.pageOf(pe.pid()), p -> new HashMap<>()).put(pe.pid(), pe);
    }
    byPage.forEach((page, pes) -> batch.putPExtentPage(page, table.pextentPage(page, pes, Set.of())));
    return batch;
  }

  /**
   * Puts {@code planned} into the table with the owner the table holds now, when that owner is still a member of
   * {@code planned} (otherwise without an owner). Returns what was put; null when the pextent is gone meanwhile.
   */
  static PExtent apply(ExtentTable table, PExtent planned) {
    PExtent now = table.get(planned.pid());
    if (now == null) {
      return null;
    }
    PExtent merged = now.hasOwner() && planned.hasReplica(now.ownerCid())
        ? planned.withOwner(now.ownerCid(), now.ownerSession()) : planned.withoutOwner();
    table.put(merged);
    return merged;
  }
}
