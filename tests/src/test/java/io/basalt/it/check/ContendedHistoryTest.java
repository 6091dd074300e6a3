package io.basalt.it.check;

import static io.basalt.it.check.HistoryGenerator.RUN;
import static io.basalt.it.check.HistoryGenerator.VOLUME;
import static io.basalt.it.check.HistoryGenerator.replace;
import static io.basalt.it.check.HistoryGenerator.stamped;
import static io.basalt.it.check.HistoryGenerator.valid;
import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.it.check.BlockModel.Violation;
import io.basalt.it.check.ContendedHistoryGenerator.GenWrite;
import io.basalt.it.check.OpHistory.Op;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contended range end to end through the replay (TESTPLAN 3.8): histories of several overlapping writers from
 * a seeded simulated store pass, with their final state; each mutation of one read, or of one block's final value,
 * into something no linearization allows is caught at that block.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ContendedHistoryTest {
  private static final int SEEDS = 300;

  /** Block {@code block} of {@code read} to read as write {@code x}'s value (null: zeros), or as {@code other}. */
  private record Candidate(String kind, Op read, int block, GenWrite x, BlockStamp.Result other) {
    BlockStamp.Result value() {
      return other != null ? other : x == null ? BlockStamp.Result.ZERO : valid(read.lba() + block, x.op());
    }
  }

  private static LinearizabilityChecker.Replay replay(ContendedHistoryGenerator g, List<Op> ops) {
    return LinearizabilityChecker.replay(g.model(), ops);
  }

  private static List<Violation> finalCheck(ContendedHistoryGenerator g, LinearizabilityChecker.Replay r,
      LongFunction<BlockStamp.Result> contents) {
    return LinearizabilityChecker.checkFinal(r.model(), 0, g.blocks(), contents, "test");
  }

  @Test
  void generatedHistoriesPass() {
    long reads = 0;
    long inDoubtSeen = 0;
    for (long seed = 0; seed < SEEDS; seed++) {
      ContendedHistoryGenerator g = ContendedHistoryGenerator.generate(seed);
      LinearizabilityChecker.Replay r = replay(g, g.ops);
      assertThat(r.violations()).as("seed %d", seed).isEmpty();
      assertThat(finalCheck(g, r, g::finalValue)).as("final state, seed %d", seed).isEmpty();
      reads += r.readsChecked();
      for (Op read : g.reads) {
        for (int i = 0; i < read.blocks(); i++) {
          GenWrite w = g.writeOf(read.lba() + i, read.seen().get(i));
          inDoubtSeen += w != null && !w.acked() ? 1 : 0;
        }
      }
    }
    assertThat(reads).isGreaterThan(SEEDS * 10L);
    assertThat(inDoubtSeen).as("reads of in-doubt writes that took effect").isGreaterThan(SEEDS / 2);
  }

  @Test
  void everyReadMutationIsCaught() {
    Map<String, Integer> caught = new TreeMap<>();
    for (long seed = 0; seed < SEEDS; seed++) {
      ContendedHistoryGenerator g = ContendedHistoryGenerator.generate(seed);
      List<Candidate> candidates = new ArrayList<>();
      for (Op read : g.reads) {
        for (int i = 0; i < read.blocks(); i++) {
          candidates.addAll(mutations(g, read, i));
        }
      }
      Random rnd = new Random(seed);
      Map<String, List<Candidate>> byKind = new TreeMap<>();
      candidates.forEach(c -> byKind.computeIfAbsent(c.kind(), k -> new ArrayList<>()).add(c));
      for (List<Candidate> cs : byKind.values()) {
        Candidate c = cs.get(rnd.nextInt(cs.size()));
        long lba = c.read().lba() + c.block();
        BlockStamp.Result value = c.value();
        List<Violation> v = replay(g, replace(g.ops, c.read(), c.block(), value)).violations();
        assertThat(v).as("%s: op %d block %d read as %s, seed %d", c.kind(), c.read().opId(), lba, c.value(),
            seed).isNotEmpty().anySatisfy(x -> assertThat(x.lba()).isEqualTo(lba));
        assertThat(value).isNotEqualTo(c.read().seen().get(c.block()));
        caught.merge(c.kind(), 1, Integer::sum);
      }
    }
    assertThat(caught).as("mutations applied and caught")
        .containsOnlyKeys("stale", "new-then-old", "resurrection", "zeros after a write", "future", "never written")
        .allSatisfy((kind, n) -> assertThat(n).as(kind).isGreaterThanOrEqualTo(20));
  }

  /**
   * Values block {@code i} of {@code read} may not return: any value that must precede a write the read must see
   * (one acked before the read was sent, or one a read completed before it returned), a write sent after the read
   * completed, and a stamp never written to this block.
   */
  private static List<Candidate> mutations(ContendedHistoryGenerator g, Op read, int i) {
    long lba = read.lba() + i;
    List<Candidate> out = new ArrayList<>();
    List<GenWrite> writes = g.writesTo(lba);
    List<GenWrite> acked = writes.stream().filter(w -> w.acked() && w.op().completeNanos() <= read.invokeNanos())
        .toList();
    List<GenWrite> readBefore = new ArrayList<>();
    for (Op r1 : g.reads) {
      if (ContendedHistoryGenerator.covers(r1, lba) && r1.completeNanos() <= read.invokeNanos()) {
        GenWrite w = g.writeOf(lba, r1.seen().get((int) (lba - r1.lba())));
        if (w != null) {
          readBefore.add(w);
        }
      }
    }
    List<GenWrite> xs = new ArrayList<>(writes);
    xs.add(null);
    for (GenWrite x : xs) {
      String kind = x == null ? "zeros after a write" : !x.acked() ? "resurrection" : null;
      if (acked.stream().anyMatch(y -> y != x && g.mustPrecede(x, y, lba))) {
        out.add(new Candidate(kind == null ? "stale" : kind, read, i, x, null));
      } else if (readBefore.stream().anyMatch(y -> y != x && g.mustPrecede(x, y, lba))) {
        out.add(new Candidate(kind == null ? "new-then-old" : kind, read, i, x, null));
      }
      if (x != null && x.op().invokeNanos() >= read.completeNanos()) {
        out.add(new Candidate("future", read, i, x, null));
      }
    }
    g.ops.stream().filter(o -> o.kind() == OpHistory.Kind.WRITE && !ContendedHistoryGenerator.covers(o, lba))
        .findFirst().ifPresent(o -> out.add(new Candidate("never written", read, i, null,
            stamped(new BlockStamp(VOLUME, lba, o.actor(), o.seq(), o.opId(), RUN), lba))));
    return out;
  }

  @Test
  void everyFinalStateMutationIsCaught() {
    Map<String, Integer> caught = new TreeMap<>();
    for (long seed = 0; seed < SEEDS; seed++) {
      ContendedHistoryGenerator g = ContendedHistoryGenerator.generate(seed);
      LinearizabilityChecker.Replay r = replay(g, g.ops);
      Random rnd = new Random(seed);
      long lba = rnd.nextInt(g.contended);
      List<GenWrite> writes = g.writesTo(lba);
      List<GenWrite> acked = writes.stream().filter(GenWrite::acked).toList();
      Map<String, BlockStamp.Result> values = new TreeMap<>();
      if (!acked.isEmpty()) {
        values.put("lost (zeros)", BlockStamp.Result.ZERO);
      }
      for (GenWrite x : writes) {
        if (acked.stream().anyMatch(y -> y != x && g.mustPrecede(x, y, lba))) {
          values.put(x.acked() && acked.stream().anyMatch(y -> x.op().completeNanos() <= y.op().invokeNanos())
              ? "older" : "resurrection", valid(lba, x.op()));
        }
      }
      values.put("garbage", BlockStamp.decode(junk(seed), lba));
      values.put("never written", stamped(new BlockStamp(VOLUME, lba, 9, 1, 1, RUN), lba));
      for (Map.Entry<String, BlockStamp.Result> m : values.entrySet()) {
        List<Violation> v = finalCheck(g, r, b -> b == lba ? m.getValue() : g.finalValue(b));
        assertThat(v).as("%s at lba %d, seed %d: %s", m.getKey(), lba, seed, r.model().describe(lba)).isNotEmpty()
            .allSatisfy(x -> assertThat(x.lba()).isEqualTo(lba));
        assertThat(m.getValue()).isNotEqualTo(g.finalValue(lba));
        caught.merge(m.getKey(), 1, Integer::sum);
      }
    }
    assertThat(caught).containsOnlyKeys("lost (zeros)", "older", "resurrection", "garbage", "never written")
        .allSatisfy((name, n) -> assertThat(n).as(name).isGreaterThanOrEqualTo(10));
  }

  private static byte[] junk(long seed) {
    byte[] b = new byte[BlockStamp.BLOCK];
    new Random(seed).nextBytes(b);
    return b;
  }
}
