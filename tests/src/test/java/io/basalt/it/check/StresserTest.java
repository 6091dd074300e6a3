package io.basalt.it.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The stresser and its online and end-of-run checks against a linearizable (or deliberately broken) memory volume. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StresserTest {
  private static final long MiB = 1 << 20;

  @TempDir
  Path dir;

  private static StressConfig config(long seed) {
    return StressConfig.defaults(seed).withLimits(Duration.ofMillis(700), 0).withWorkers(3, true, 2)
        .withDurability(20, 10);
  }

  private static List<BlockModel.Violation> finalState(Stresser s, MemoryVolume v) {
    return LinearizabilityChecker.checkFinal(s.model(), 0, s.model().blocks(),
        lba -> BlockStamp.decode(v.bytes(lba * BlockStamp.BLOCK, BlockStamp.BLOCK), lba), "memory");
  }

  @Test
  void aCorrectVolumePassesEveryCheck() throws Exception {
    Path file = dir.resolve("history.txt");
    try (MemoryVolume v = new MemoryVolume("m", 16 * MiB, MiB);
        Stresser s = Stresser.start(v, config(1).withHistory(file, 1_000_000))) {
      StressResult r = s.awaitResult().assertNoViolation();
      assertThat(r.writesAcked()).isGreaterThan(100);
      assertThat(r.readsChecked()).isGreaterThan(100);
      assertThat(r.flushesOk()).isPositive();
      assertThat(r.writesInDoubt()).isZero();
      assertThat(r.maxPause()).isPositive().isLessThan(Duration.ofSeconds(1));
      assertThat(r.p99()).isPositive().isLessThanOrEqualTo(r.maxLatency());
      assertThat(s.layout().extentsSpanned()).isGreaterThanOrEqualTo(8);
      LinearizabilityChecker.Replay replay = LinearizabilityChecker.replay(s.model().runId(), s.model().volumeId(),
          s.model().blocks(), s.history().ops());
      assertThat(replay.violations()).isEmpty();
      assertThat(replay.readsChecked()).isEqualTo(r.readsChecked());
      assertThat(finalState(s, v)).isEmpty();
      s.history().flush();
      assertThat(Files.readAllLines(file)).hasSize((int) s.history().size()).allMatch(l -> l.startsWith("op="));
      // a write after the run, by the block's writer
      long lba = s.layout().stripesOf(2)[0] + 1;
      assertThat(s.writeOnce(lba, 1, true)).isEqualTo(OpHistory.Outcome.OK);
      assertThat(s.model().lastAcked(lba)).isPositive();
      assertThat(finalState(s, v)).isEmpty();
    }
  }

  @Test
  void aResumedRunGoesOnWithTheSameModelAndTheChecksCoverBothRuns() {
    try (MemoryVolume v = new MemoryVolume("m", 16 * MiB, MiB)) {
      Stresser first = Stresser.start(v, config(8));
      StressResult r1 = first.awaitResult().assertNoViolation();
      long opsAfterFirst = first.history().size();
      long lba = first.layout().stripesOf(2)[0];
      Stresser second = Stresser.resume(v, first, Duration.ofMillis(700));
      first.close(); // the history passed to the second run: still open
      try (second) {
        StressResult r2 = second.awaitResult().assertNoViolation();
        assertThat(second.model()).isSameAs(first.model());
        assertThat(r2.writesAcked()).isPositive();
        // each run lasts 700 ms: figures counted from the first run's start would show 1.4 s or more
        assertThat(r2.elapsed()).as("figures of the second run only").isLessThan(Duration.ofMillis(1200));
        assertThat(r1.elapsed()).isGreaterThanOrEqualTo(Duration.ofMillis(700));
        assertThat(second.history().size()).isGreaterThan(opsAfterFirst);
        assertThat(second.history().ops().stream().map(OpHistory.Op::opId).distinct().count())
            .as("op ids unique across runs").isEqualTo(second.history().ops().size());
        assertThat(replay(second).violations()).isEmpty();
        assertThat(finalState(second, v)).isEmpty();
        assertThat(second.writeOnce(lba, 1, false)).isEqualTo(OpHistory.Outcome.OK);
        assertThat(finalState(second, v)).isEmpty();
      }
      assertThatThrownBy(() -> Stresser.resume(v, Stresser.start(v, config(9).withLimits(Duration.ofMinutes(1), 0)),
          Duration.ofSeconds(1))).isInstanceOf(IllegalStateException.class).hasMessageContaining("ended");
    }
  }

  @Test
  void writersBackOffAfterInDoubtWritesAndWriteTheSameBlocksAgain() {
    // every write times out: without backoff 3 writers + the sequential one would issue thousands in 700 ms
    try (MemoryVolume v = new MemoryVolume("m", 16 * MiB, MiB).timingOut(100);
        Stresser s = Stresser.start(v, config(10))) {
      StressResult r = s.awaitResult().assertNoViolation();
      assertThat(r.writesAcked()).isZero();
      // 10+20+40+80+160+320 ms of backoff: at most 7 attempts per writer in 700 ms
      assertThat(r.writesTimedOut()).isPositive().isLessThanOrEqualTo(4 * 9);
      java.util.Map<Integer, java.util.Set<Long>> lbas = new java.util.HashMap<>();
      s.history().ops().stream().filter(o -> o.kind() == OpHistory.Kind.WRITE)
          .forEach(o -> lbas.computeIfAbsent(o.actor(), k -> new java.util.HashSet<>()).add(o.lba()));
      assertThat(lbas.values()).as("each writer retries the same blocks").allSatisfy(set -> assertThat(set)
          .hasSize(1));
    }
  }

  @Test
  void inDoubtWritesAreAllowedEitherWay() {
    try (MemoryVolume v = new MemoryVolume("m", 16 * MiB, MiB).timingOut(10);
        Stresser s = Stresser.start(v, config(2))) {
      StressResult r = s.awaitResult().assertNoViolation();
      assertThat(r.writesTimedOut()).isPositive();
      assertThat(r.writesInDoubt()).isEqualTo(r.writesTimedOut());
      assertThat(LinearizabilityChecker.replay(s.model().runId(), s.model().volumeId(), s.model().blocks(),
          s.history().ops()).violations()).isEmpty();
      assertThat(finalState(s, v)).isEmpty();
    }
  }

  @Test
  void aLostWriteIsCaughtOnlineOrAtTheEnd() {
    // every write starting at a block = 5 mod 64 is acked but never applied
    try (MemoryVolume v = new MemoryVolume("m", 16 * MiB, MiB).losingWritesTo(lba -> lba % 64 == 5);
        Stresser s = Stresser.start(v, config(3))) {
      StressResult r = s.awaitResult();
      List<BlockModel.Violation> end = finalState(s, v);
      assertThat(r.firstViolation() != null || !end.isEmpty()).as("caught: %s / %s", r, end).isTrue();
      assertThat(end).isNotEmpty().allSatisfy(x -> assertThat(x.rule()).isIn("lost write", "older value"));
    }
  }

  private static LinearizabilityChecker.Replay replay(Stresser s) {
    return LinearizabilityChecker.replay(s.model(), s.history().ops());
  }

  private static List<OpHistory.Op> contendedOps(Stresser s, OpHistory.Kind kind) {
    return s.history().ops().stream().filter(o -> o.kind() == kind && s.layout().isContended(o.lba())).toList();
  }

  /** Pairs of contended writes to a common block that were in flight at the same time. */
  private static long overlappingContendedWrites(Stresser s) {
    List<OpHistory.Op> w = contendedOps(s, OpHistory.Kind.WRITE);
    long pairs = 0;
    for (int i = 0; i < w.size(); i++) {
      for (int j = i + 1; j < w.size(); j++) {
        OpHistory.Op a = w.get(i);
        OpHistory.Op b = w.get(j);
        boolean sameBlock = a.lba() < b.lba() + b.blocks() && b.lba() < a.lba() + a.blocks();
        boolean sameTime = a.invokeNanos() < b.completeNanos() && b.invokeNanos() < a.completeNanos();
        pairs += sameBlock && sameTime && a.actor() != b.actor() ? 1 : 0;
      }
    }
    return pairs;
  }

  @Test
  void aContendedRangeIsWrittenByOverlappingWritersAndCheckedBySearch() {
    StressConfig c = config(5).withContended(3, 8);
    try (MemoryVolume v = new MemoryVolume("m", 16 * MiB, MiB).timingOut(5); Stresser s = Stresser.start(v, c)) {
      StressResult r = s.awaitResult().assertNoViolation();
      assertThat(r.writesTimedOut()).isPositive();
      List<OpHistory.Op> writes = contendedOps(s, OpHistory.Kind.WRITE);
      assertThat(writes).as("contended writes").hasSizeGreaterThan(300)
          .allSatisfy(o -> assertThat(o.actor()).isBetween(5, 7))
          .allSatisfy(o -> assertThat(s.layout().isContended(o.lba() + o.blocks() - 1)).isTrue())
          .anySatisfy(o -> assertThat(o.outcome()).isNotEqualTo(OpHistory.Outcome.OK))
          .anySatisfy(o -> assertThat(o.blocks()).isEqualTo(4));
      assertThat(overlappingContendedWrites(s)).as("contended writes in flight together").isPositive();
      assertThat(contendedOps(s, OpHistory.Kind.READ)).as("contended reads").hasSizeGreaterThan(300);
      assertThat(s.model().contendedOps()).isLessThanOrEqualTo(8L * RegisterHistory.MAX_OPS);
      assertThat(s.model().checkContended()).isEmpty();
      LinearizabilityChecker.Replay replay = replay(s);
      assertThat(replay.violations()).isEmpty();
      assertThat(replay.model().contendedOps()).isEqualTo(s.model().contendedOps());
      assertThat(finalState(s, v)).isEmpty();
      // a write after the run into the range, then the final state again
      long lba = s.layout().contendedStart() + 2;
      assertThat(s.writeOnce(lba, 2, false)).isIn(OpHistory.Outcome.OK, OpHistory.Outcome.TIMEOUT);
      assertThat(finalState(s, v)).isEmpty();
    }
  }

  @Test
  void aStaleReadInTheContendedRangeIsCaughtByTheSearch() {
    StressConfig c = config(6).withContended(2, 6);
    StressLayout layout = new StressLayout(16 * MiB, c);
    try (MemoryVolume v = new MemoryVolume("m", 16 * MiB, MiB).servingStaleReadsOf(layout::isContended);
        Stresser s = Stresser.start(v, c)) {
      StressResult r = s.awaitResult();
      assertThat(r.firstViolation()).as("a stale value was written: online rules cannot tell").isNull();
      List<BlockModel.Violation> found = replay(s).violations();
      assertThat(found).isNotEmpty().allSatisfy(x -> {
        assertThat(layout.isContended(x.lba())).isTrue();
        assertThat(x.rule()).isEqualTo("not linearizable");
        assertThat(x.opId()).isPositive();
      });
      assertThat(s.model().checkContended()).isNotEmpty();
    }
  }

  @Test
  void aLostWriteInTheContendedRangeIsCaught() {
    StressConfig c = config(7).withContended(2, 6);
    StressLayout layout = new StressLayout(16 * MiB, c);
    long victim = layout.contendedStart() + 3;
    try (MemoryVolume v = new MemoryVolume("m", 16 * MiB, MiB).losingWritesTo(lba -> lba == victim);
        Stresser s = Stresser.start(v, c)) {
      s.awaitResult().assertNoViolation();
      // every write touching the victim is lost, on all its blocks
      assertThat(finalState(s, v)).allSatisfy(x -> assertThat(layout.isContended(x.lba())).isTrue())
          .anySatisfy(x -> {
            assertThat(x.lba()).isEqualTo(victim);
            assertThat(x.rule()).isEqualTo("lost write");
          });
      assertThat(replay(s).violations()).isNotEmpty().allSatisfy(x -> {
        assertThat(layout.isContended(x.lba())).isTrue();
        assertThat(x.rule()).isEqualTo("not linearizable");
      }).anySatisfy(x -> assertThat(x.lba()).isEqualTo(victim));
    }
  }

  @Test
  void aStaleReadFailsFast() {
    try (MemoryVolume v = new MemoryVolume("m", 16 * MiB, MiB).servingStaleReadsOf(lba -> lba % 16 == 3);
        Stresser s = Stresser.start(v, config(4).withLimits(Duration.ofSeconds(20), 0))) {
      StressResult r = s.awaitResult();
      assertThat(r.firstViolation()).as("online violation").isNotNull();
      assertThat(r.firstViolation().rule()).isIn("stale read", "new-then-old", "never written");
      assertThat(r.elapsed()).as("fails fast").isLessThan(Duration.ofSeconds(10));
      assertThat(s.history().ops()).isNotEmpty();
    }
  }
}
