package io.basalt.it.check;

import static org.assertj.core.api.Assertions.assertThat;

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
