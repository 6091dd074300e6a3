package io.basalt.it.check;

import static io.basalt.it.check.HistoryGenerator.RUN;
import static io.basalt.it.check.HistoryGenerator.VOLUME;
import static io.basalt.it.check.HistoryGenerator.stamped;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.basalt.it.check.OpHistory.Kind;
import io.basalt.it.check.OpHistory.Op;
import io.basalt.it.check.OpHistory.Outcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The durability check after a power cut (TESTPLAN 3.3): the durable prefix must survive, later acked writes may be
 * lost, nothing may come back as garbage. First the rules on a hand-made history, then a memory volume whose power
 * cut loses what was not flushed, with one fault each: a flush that skips a block, FUA ignored, torn blocks.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PowerCutTest {
  private static final long MiB = 1 << 20;
  private static final StressConfig CONFIG = StressConfig.defaults(21).withLimits(Duration.ofMillis(400), 0)
      .withWorkers(3, true, 1).withDurability(20, 10).withContended(2, 4);
  private static final StressLayout LAYOUT = new StressLayout(12 * MiB, CONFIG);
  private static final long X = LAYOUT.stripesOf(2)[0];

  private static BlockStamp.Result value(long lba, int writer, long seq) {
    return stamped(new BlockStamp(VOLUME, lba, writer, seq, 1, RUN), lba);
  }

  private static Op flush(long opId, long invoke, long complete, Outcome o) {
    return new Op(opId, 1, Kind.FLUSH, -1, 0, 0, invoke, complete, o, List.of(), "");
  }

  private static String rule(BlockModel m, long lba, BlockStamp.Result got) {
    return m.checkFinal(lba, got, "test").map(BlockModel.Violation::rule).orElse(null);
  }

  @Test
  void theDurablePrefixEndsAtTheLastFlushSentBeforeTheCut() {
    long cut = 100;
    List<Op> ops = List.of(
        Op.write(1, 2, 0, 1, 1, 0, 10, Outcome.OK),           // acked before the flush was sent: durable
        flush(2, 20, 40, Outcome.OK),
        Op.write(3, 3, 1, 1, 1, 15, 30, Outcome.OK),          // acked while the flush was in flight: may be lost
        Op.write(4, 2, 0, 1, 2, 50, 60, Outcome.OK),          // after the flush: may be lost
        Op.write(5, 4, 2, 1, 1, 50, 60, Outcome.OK, true),    // FUA: durable on its own
        flush(6, 70, 200, Outcome.OK),                        // completed after the cut: does not count
        flush(7, 80, 90, Outcome.ERR),                        // failed: does not count
        Op.write(8, 4, 2, 1, 2, 150, 160, Outcome.OK),        // sent after the cut (a restart): must survive
        Op.write(9, 5, 3, 1, 1, 95, 130, Outcome.OK, true),   // FUA acked after the cut: may be lost
        Op.read(10, 1001, 0, List.of(value(0, 2, 2)), 70, 75)); // read before the cut: proves nothing
    BlockModel like = new BlockModel(RUN, VOLUME, 8, () -> 0);
    PowerCut.Durability d = PowerCut.at(like, ops, cut);
    assertThat(d.lastFlush().opId()).isEqualTo(2);
    assertThat(d.durableWrites()).isEqualTo(2);
    assertThat(d.maybeLost()).isEqualTo(3);
    assertThat(d.summary()).contains("power cut at 100", "2 acked writes durable", "FLUSH op 2 sent at 20",
        "3 acked after it may be lost");
    BlockModel m = d.model();
    assertThat(rule(m, 0, value(0, 2, 1))).isNull();
    assertThat(rule(m, 0, value(0, 2, 2))).isNull();
    assertThat(rule(m, 0, BlockStamp.Result.ZERO)).isEqualTo("lost write");
    assertThat(rule(m, 0, value(0, 2, 3))).isEqualTo("future value");
    assertThat(rule(m, 1, BlockStamp.Result.ZERO)).isNull();
    assertThat(rule(m, 1, value(1, 3, 1))).isNull();
    assertThat(rule(m, 2, value(2, 4, 2))).isNull();
    assertThat(rule(m, 2, value(2, 4, 1))).isEqualTo("older value");
    assertThat(rule(m, 3, BlockStamp.Result.ZERO)).isNull();
    byte[] junk = new byte[BlockStamp.BLOCK];
    new Random(1).nextBytes(junk);
    assertThat(rule(m, 1, BlockStamp.decode(junk, 1))).isEqualTo("garbage");
    // without a cut, every acked write must survive
    BlockModel all = LinearizabilityChecker.replay(like, ops).model();
    assertThat(rule(all, 0, value(0, 2, 1))).isEqualTo("older value");
    assertThat(rule(all, 1, BlockStamp.Result.ZERO)).isEqualTo("lost write");
    // a cut at 30: no flush completed, nothing durable yet; what was sent after the cut must survive
    PowerCut.Durability early = PowerCut.at(like, ops, 30);
    assertThat(early.lastFlush()).isNull();
    assertThat(early.summary()).contains("no FLUSH completed");
    assertThat(rule(early.model(), 1, BlockStamp.Result.ZERO)).isNull();
    assertThat(rule(early.model(), 0, value(0, 2, 2))).isNull();
    assertThat(rule(early.model(), 0, value(0, 2, 1))).isEqualTo("older value");
  }

  /**
   * A stressed memory volume ({@link #CONFIG}), then: write x ({@link #X}), FLUSH, write y, FUA write z, write c
   * (contended), power cut at {@code at}.
   */
  private record Cut(MemoryVolume volume, Stresser stresser, long x, long y, long z, long c, long at)
      implements AutoCloseable {
    static Cut run(MemoryVolume v, boolean torn) {
      Stresser s = Stresser.start(v, CONFIG);
      s.awaitResult().assertNoViolation();
      StressLayout l = s.layout();
      long x = X;
      long y = l.stripesOf(3)[0];
      long z = l.stripesOf(4)[0];
      long c = l.contendedStart() + 1;
      assertThat(s.writeOnce(x, 1, false)).isEqualTo(Outcome.OK);
      assertThat(s.flushOnce()).isEqualTo(Outcome.OK);
      assertThat(s.writeOnce(y, 1, false)).isEqualTo(Outcome.OK);
      assertThat(s.writeOnce(z, 1, true)).isEqualTo(Outcome.OK);
      assertThat(s.writeOnce(c, 1, false)).isEqualTo(Outcome.OK);
      long at = System.nanoTime();
      v.powerCut(torn);
      return new Cut(v, s, x, y, z, c, at);
    }

    ClusterChecker checker(Consumer<String> evidence) {
      return ClusterChecker.of(new FakeCluster(volume), "v").stresser(stresser, volume)
          .settle(Duration.ofSeconds(2), Duration.ofMillis(200)).onFailure(evidence);
    }

    /** The failure of a check that must fail, after its evidence hook ran. */
    String failure(boolean powerCut) {
      List<String> evidence = new ArrayList<>();
      ClusterChecker ch = checker(evidence::add);
      AssertionError e = catchThrowableOfType(AssertionError.class, () -> (powerCut ? ch.powerCutAt(at) : ch).check());
      assertThat(e).as("the checker must fail (power cut: %s)", powerCut).isNotNull();
      assertThat(evidence).containsExactly(e.getMessage());
      return e.getMessage();
    }

    long pid(long lba) {
      return FakeCluster.pid((int) (lba / 256));
    }

    @Override
    public void close() {
      stresser.close();
      volume.close();
    }
  }

  @Test
  void writesAckedAfterTheLastFlushMayBeLost() {
    try (Cut cut = Cut.run(new MemoryVolume("v", 12 * MiB, MiB), false)) {
      ClusterChecker.Report r = cut.checker(e -> { }).powerCutAt(cut.at()).check();
      assertThat(r.ok()).isTrue();
      assertThat(r.summary()).contains("power cut at " + cut.at(), "acked writes durable (up to FLUSH op",
          "contended range of 4 blocks searched");
      // without the cut they are lost writes: y reverted, c (contended) too
      assertThat(cut.failure(false)).containsPattern("(lost write|older value): pid=" + cut.pid(cut.y()) + " lba="
          + cut.y() + " ").containsPattern("(lost write|older value): pid=" + cut.pid(cut.c()) + " lba=" + cut.c()
          + " ").doesNotContain("lba=" + cut.x() + " ", "lba=" + cut.z() + " ");
    }
  }

  @Test
  void aWriteAckedBeforeTheLastFlushMustSurvive() {
    try (Cut cut = Cut.run(new MemoryVolume("v", 12 * MiB, MiB).forgettingFlushesOf(lba -> lba == X), false)) {
      for (boolean powerCut : new boolean[] {true, false}) {
        assertThat(cut.failure(powerCut)).containsPattern("(lost write|older value): pid=" + cut.pid(cut.x())
            + " lba=" + cut.x() + " ");
      }
    }
  }

  @Test
  void aFuaWriteMustSurviveOnItsOwn() {
    try (Cut cut = Cut.run(new MemoryVolume("v", 12 * MiB, MiB).ignoringFua(), false)) {
      assertThat(cut.failure(true)).containsPattern("(lost write|older value): pid=" + cut.pid(cut.z()) + " lba="
          + cut.z() + " ").doesNotContain("lba=" + cut.y() + " ");
    }
  }

  @Test
  void tornBlocksAfterAPowerCutFail() {
    try (Cut cut = Cut.run(new MemoryVolume("v", 12 * MiB, MiB), true)) {
      for (boolean powerCut : new boolean[] {true, false}) {
        assertThat(cut.failure(powerCut)).contains("garbage: pid=" + cut.pid(cut.y()) + " lba=" + cut.y() + " ",
            "garbage: pid=" + cut.pid(cut.c()) + " lba=" + cut.c() + " ");
      }
    }
  }
}
