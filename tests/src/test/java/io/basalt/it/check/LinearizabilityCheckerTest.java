package io.basalt.it.check;

import static io.basalt.it.check.HistoryGenerator.RUN;
import static io.basalt.it.check.HistoryGenerator.VOLUME;
import static io.basalt.it.check.HistoryGenerator.replace;
import static io.basalt.it.check.HistoryGenerator.stamped;
import static io.basalt.it.check.HistoryGenerator.valid;
import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.it.check.BlockModel.Violation;
import io.basalt.it.check.HistoryGenerator.GenWrite;
import io.basalt.it.check.OpHistory.Op;
import io.basalt.it.check.OpHistory.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The checker on hand-made histories (TESTPLAN 3.8): histories generated from a seeded Random by a simulated
 * linearizable store pass, and each mutation of one read (or of the final state) is caught.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LinearizabilityCheckerTest {
  private static final int SEEDS = 300;

  private record Candidate(Op read, int block, BlockStamp.Result value) {}

  private interface ReadMutation {
    /** Replacement values that must be caught for block {@code i} of read {@code read}. */
    List<BlockStamp.Result> values(HistoryGenerator g, Op read, int i, long lba);
  }

  private static LinearizabilityChecker.Replay replay(HistoryGenerator g, List<Op> ops) {
    return LinearizabilityChecker.replay(RUN, VOLUME, g.blocks, ops);
  }

  private static List<Violation> finalCheck(HistoryGenerator g, LinearizabilityChecker.Replay r,
      Function<Long, BlockStamp.Result> contents) {
    return LinearizabilityChecker.checkFinal(r.model(), 0, g.blocks, contents::apply, "test");
  }

  @Test
  void generatedHistoriesPass() {
    long reads = 0;
    for (long seed = 0; seed < SEEDS; seed++) {
      HistoryGenerator g = HistoryGenerator.generate(seed);
      LinearizabilityChecker.Replay r = replay(g, g.ops);
      assertThat(r.violations()).as("seed %d", seed).isEmpty();
      assertThat(finalCheck(g, r, g::finalValue)).as("final state, seed %d", seed).isEmpty();
      reads += r.readsChecked();
    }
    assertThat(reads).isGreaterThan(SEEDS * 10L);
  }

  @Test
  void everyReadMutationIsCaught() {
    Map<String, ReadMutation> mutations = new TreeMap<>();
    mutations.put("garbage", (g, read, i, lba) -> List.of(BlockStamp.decode(randomBytes(lba), lba)));
    mutations.put("misdirected", (g, read, i, lba) -> g.writesByBlock.entrySet().stream()
        .filter(e -> e.getKey() != lba).limit(1).map(e -> stamped(new BlockStamp(VOLUME, e.getKey(),
            e.getValue().get(0).op().actor(), e.getValue().get(0).op().seq(), 1, RUN), lba)).toList());
    mutations.put("foreign run", (g, read, i, lba) -> g.writes(lba).stream().limit(1)
        .map(w -> stamped(new BlockStamp(VOLUME, lba, w.op().actor(), w.op().seq(), 1, RUN + 1), lba)).toList());
    mutations.put("stale", (g, read, i, lba) -> {
      long floor = g.writes(lba).stream().filter(w -> w.acked() && w.op().completeNanos() < read.invokeNanos())
          .mapToLong(w -> w.op().seq()).max().orElse(0);
      return floor == 0 ? List.of() : older(g, lba, floor);
    });
    mutations.put("future", (g, read, i, lba) -> g.writes(lba).stream()
        .filter(w -> w.op().invokeNanos() > read.completeNanos()).map(w -> valid(lba, w.op())).toList());
    mutations.put("new-then-old", (g, read, i, lba) -> g.reads().stream()
        .filter(r1 -> r1.completeNanos() < read.invokeNanos() && lba >= r1.lba() && lba < r1.lba() + r1.blocks())
        .mapToLong(r1 -> r1.seen().get((int) (lba - r1.lba())).seq()).filter(s -> s > 0).boxed().findAny()
        .map(s1 -> older(g, lba, s1)).orElse(List.of()));
    mutations.put("resurrection", (g, read, i, lba) -> {
      long newer = Math.max(
          g.writes(lba).stream().filter(w -> w.acked() && w.op().completeNanos() < read.invokeNanos())
              .mapToLong(w -> w.op().seq()).max().orElse(0),
          g.reads().stream().filter(r1 -> r1.completeNanos() < read.invokeNanos() && lba >= r1.lba()
              && lba < r1.lba() + r1.blocks()).mapToLong(r1 -> r1.seen().get((int) (lba - r1.lba())).seq())
              .max().orElse(0));
      return g.writes(lba).stream().filter(w -> !w.acked() && w.op().seq() < newer)
          .map(w -> valid(lba, w.op())).toList();
    });
    mutations.put("never written", (g, read, i, lba) -> neverWritten(g, read, lba));
    Map<String, Integer> caught = new TreeMap<>();
    for (long seed = 0; seed < SEEDS; seed++) {
      HistoryGenerator g = HistoryGenerator.generate(seed);
      Random rnd = new Random(seed);
      for (Map.Entry<String, ReadMutation> m : mutations.entrySet()) {
        List<Candidate> candidates = new ArrayList<>();
        for (Op read : g.reads()) {
          for (int i = 0; i < read.blocks(); i++) {
            for (BlockStamp.Result v : m.getValue().values(g, read, i, read.lba() + i)) {
              candidates.add(new Candidate(read, i, v));
            }
          }
        }
        if (candidates.isEmpty()) {
          continue;
        }
        Candidate c = candidates.get(rnd.nextInt(candidates.size()));
        List<Op> mutated = replace(g.ops, c.read(), c.block(), c.value());
        assertThat(replay(g, mutated).violations()).as("%s mutation of op %d block %d to %s, seed %d", m.getKey(),
            c.read().opId(), c.block(), c.value(), seed).isNotEmpty()
            .anySatisfy(v -> assertThat(v.lba()).isEqualTo(c.read().lba() + c.block()));
        caught.merge(m.getKey(), 1, Integer::sum);
      }
    }
    assertThat(caught).as("mutations applied and caught").hasSize(mutations.size())
        .allSatisfy((name, n) -> assertThat(n).as(name).isGreaterThanOrEqualTo(20));
  }

  @Test
  void everyFinalStateMutationIsCaught() {
    Map<String, Integer> caught = new TreeMap<>();
    for (long seed = 0; seed < SEEDS; seed++) {
      HistoryGenerator g = HistoryGenerator.generate(seed);
      LinearizabilityChecker.Replay r = replay(g, g.ops);
      Random rnd = new Random(seed);
      // blocks whose final value is an acked write: anything else there is a lost write
      List<Long> acked = g.writesByBlock.keySet().stream().filter(b -> g.writes(b).stream()
          .anyMatch(w -> w.acked() && w.op().seq() == g.finalValue(b).seq())).sorted().toList();
      long lba = acked.get(rnd.nextInt(acked.size()));
      long seqNow = g.finalValue(lba).seq();
      Map<String, BlockStamp.Result> values = new TreeMap<>();
      values.put("lost (zeros)", BlockStamp.Result.ZERO);
      values.put("garbage", BlockStamp.decode(randomBytes(lba), lba));
      values.put("misdirected", stamped(new BlockStamp(VOLUME, lba + 1, 1, seqNow, 1, RUN), lba));
      older(g, lba, seqNow).stream().filter(v -> v.seq() > 0).findFirst().ifPresent(v -> values.put("older", v));
      values.put("never-written block", valid(g.blocks - 1, g.writes(lba).get(0).op()));
      for (Map.Entry<String, BlockStamp.Result> m : values.entrySet()) {
        long at = m.getKey().startsWith("never-written") ? g.blocks - 1 : lba;
        List<Violation> v = finalCheck(g, r, b -> b == at ? m.getValue() : g.finalValue(b));
        assertThat(v).as("%s at lba %d, seed %d: %s", m.getKey(), at, seed, r.model().describe(at)).isNotEmpty()
            .allSatisfy(x -> assertThat(x.lba()).isEqualTo(at));
        caught.merge(m.getKey(), 1, Integer::sum);
      }
    }
    assertThat(caught).containsKeys("lost (zeros)", "garbage", "misdirected", "older", "never-written block")
        .allSatisfy((name, n) -> assertThat(n).as(name).isGreaterThanOrEqualTo(SEEDS / 5));
  }

  @Test
  void inDoubtWriteMayAppearOnceButNeverAfterANewerValue() {
    // writer 1 on block 0: seq 1 acked [0,10], seq 2 times out [20,30], seq 3 acked [40,50]
    List<Op> ops = new ArrayList<>(List.of(
        Op.write(1, 1, 0, 1, 1, 0, 10, Outcome.OK),
        Op.write(2, 1, 0, 1, 2, 20, 30, Outcome.TIMEOUT),
        Op.write(3, 1, 0, 1, 3, 40, 50, Outcome.OK),
        Op.read(10, 1001, 0, List.of(value(0, 2, 2)), 32, 34),   // the in-doubt write took effect: fine
        Op.read(11, 1001, 0, List.of(value(0, 3, 3)), 60, 62)));
    assertThat(LinearizabilityChecker.replay(RUN, VOLUME, 4, ops).violations()).isEmpty();
    ops.add(Op.read(12, 1002, 0, List.of(value(0, 2, 2)), 70, 72)); // seq 2 again after seq 3: resurrection
    List<Violation> v = LinearizabilityChecker.replay(RUN, VOLUME, 4, ops).violations();
    assertThat(v).singleElement().satisfies(x -> {
      assertThat(x.rule()).isEqualTo("stale read");
      assertThat(x.opId()).isEqualTo(12);
      assertThat(x.toString()).contains("lba=0", "seq 2", "seq 3");
    });
  }

  @Test
  void concurrentReadsMaySeeEitherValueButNotGoBackInRealTime() {
    List<Op> ops = List.of(
        Op.write(1, 1, 5, 1, 1, 0, 10, Outcome.OK),
        Op.write(2, 1, 5, 1, 2, 20, 40, Outcome.OK),
        Op.read(10, 1001, 5, List.of(value(5, 2, 2)), 22, 25),  // sees the write in flight
        Op.read(11, 1002, 5, List.of(value(5, 1, 1)), 24, 30),  // overlaps it, sees the older value: fine
        Op.read(12, 1003, 5, List.of(value(5, 1, 1)), 26, 35)); // starts after op 10 completed: inversion
    List<Violation> v = LinearizabilityChecker.replay(RUN, VOLUME, 8, ops).violations();
    assertThat(v).singleElement().satisfies(x -> {
      assertThat(x.rule()).isEqualTo("new-then-old");
      assertThat(x.opId()).isEqualTo(12);
    });
  }

  private static BlockStamp.Result value(long lba, long seq, long opId) {
    return stamped(new BlockStamp(VOLUME, lba, 1, seq, opId, RUN), lba);
  }

  /** Values of {@code lba} older than seq {@code than}: earlier writes' stamps, or zeros. */
  private static List<BlockStamp.Result> older(HistoryGenerator g, long lba, long than) {
    List<BlockStamp.Result> out = g.writes(lba).stream().filter(w -> w.op().seq() < than)
        .map(w -> valid(lba, w.op())).collect(Collectors.toCollection(ArrayList::new));
    out.add(BlockStamp.Result.ZERO);
    return out;
  }

  /** A stamp of the block's writer with a seq it used elsewhere, inside the span the model remembers. */
  private static List<BlockStamp.Result> neverWritten(HistoryGenerator g, Op read, long lba) {
    List<GenWrite> before = g.writes(lba).stream().filter(w -> w.op().invokeNanos() < read.completeNanos()).toList();
    if (before.size() < 2) {
      return List.of();
    }
    long low = before.get(Math.max(0, before.size() - 8)).op().seq();
    long high = before.get(before.size() - 1).op().seq();
    int writer = before.get(0).op().actor();
    List<Long> mine = before.stream().map(w -> w.op().seq()).toList();
    Optional<Op> other = g.ops.stream().filter(o -> o.kind() == OpHistory.Kind.WRITE && o.actor() == writer
        && o.seq() > low && o.seq() < high && !mine.contains(o.seq())).findFirst();
    return other.map(o -> List.of(stamped(new BlockStamp(VOLUME, lba, writer, o.seq(), o.opId(), RUN), lba)))
        .orElse(List.of());
  }

  private static byte[] randomBytes(long seed) {
    byte[] b = new byte[4096];
    new Random(seed).nextBytes(b);
    return b;
  }
}
