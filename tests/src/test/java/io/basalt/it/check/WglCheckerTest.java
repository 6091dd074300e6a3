package io.basalt.it.check;

import static io.basalt.it.check.HistoryGenerator.RUN;
import static io.basalt.it.check.HistoryGenerator.VOLUME;
import static io.basalt.it.check.HistoryGenerator.stamped;
import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.it.check.BlockModel.Violation;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The search on hand-made histories of one contended block (TESTPLAN 3.8): the histories a register may produce
 * pass, each classic violation fails naming the block and the op, and a history too large to search fails rather
 * than passes. Writers 2-4; {@code -1} as completion means in doubt.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class WglCheckerTest {
  private static final long LBA = 40;
  private static final long DOUBT = -1;

  private final RegisterHistory h = new RegisterHistory(LBA);

  private void write(long op, int writer, long seq, long invoke, long complete) {
    h.writeInvoked(op, writer, seq, invoke);
    h.writeCompleted(writer, seq, complete == DOUBT ? invoke : complete, complete != DOUBT);
  }

  private void read(long op, int writer, long seq, long invoke, long complete) {
    BlockStamp.Result v = seq == 0 ? BlockStamp.Result.ZERO
        : stamped(new BlockStamp(VOLUME, LBA, writer, seq, 1, RUN), LBA);
    assertThat(h.readCompleted(op, v, invoke, complete)).isNull();
  }

  private Violation failure() {
    List<Violation> v = h.check();
    assertThat(v).as("history %s", h).singleElement();
    assertThat(v.get(0).lba()).isEqualTo(LBA);
    return v.get(0);
  }

  private static BlockStamp.Result value(int writer, long seq) {
    return seq == 0 ? BlockStamp.Result.ZERO : stamped(new BlockStamp(VOLUME, LBA, writer, seq, 1, RUN), LBA);
  }

  @Test
  void concurrentWritesMayLandInEitherOrder() {
    write(1, 2, 1, 0, 10);
    write(2, 3, 1, 5, 15);
    read(3, 3, 1, 6, 8);    // sees writer 3 while both are in flight
    read(4, 2, 1, 9, 12);   // then writer 2: order 3, 2
    read(5, 2, 1, 20, 25);
    assertThat(h.check()).isEmpty();
    RegisterHistory other = new RegisterHistory(LBA);
    other.writeInvoked(1, 2, 1, 0);
    other.writeInvoked(2, 3, 1, 5);
    other.writeCompleted(2, 1, 10, true);
    other.writeCompleted(3, 1, 15, true);
    // either may be the final value, but not zeros
    assertThat(other.finalRule(value(2, 1))).isNull();
    assertThat(other.finalRule(value(3, 1))).isNull();
    assertThat(other.finalRule(BlockStamp.Result.ZERO).rule()).isEqualTo("lost write");
    assertThat(other.readCompleted(3, value(3, 1), 20, 25)).isNull(); // order 2, 3
    assertThat(other.check()).isEmpty();
    // once a read after both returned writer 3's, writer 2's may not be final
    assertThat(other.finalRule(value(3, 1))).isNull();
    assertThat(other.finalRule(value(2, 1)).rule()).isEqualTo("resurrection");
  }

  @Test
  void anInDoubtWriteMayAppearOrNot() {
    write(1, 2, 1, 0, 10);
    write(2, 3, 1, 20, DOUBT);
    read(3, 2, 1, 25, 30);   // not (yet) in effect
    read(4, 3, 1, 40, 45);   // in effect, applied late
    read(5, 3, 1, 50, 55);
    assertThat(h.check()).isEmpty();
    RegisterHistory never = new RegisterHistory(LBA);
    never.writeInvoked(1, 2, 1, 0);
    never.writeCompleted(2, 1, 10, true);
    never.writeInvoked(2, 3, 1, 20);
    never.writeCompleted(3, 1, 25, false);
    assertThat(never.readCompleted(3, value(2, 1), 30, 35)).isNull();
    assertThat(never.check()).isEmpty();
    // at the end: the acked value, or the in-doubt one placed after it
    assertThat(never.finalRule(value(2, 1))).isNull();
    assertThat(never.finalRule(value(3, 1))).isNull();
    assertThat(never.expected()).contains("seq 1 (writer 2, op 1)", "seq 1 (writer 3, op 2, in doubt)");
  }

  @Test
  void zerosBeforeAndDuringTheFirstWrite() {
    read(1, 0, 0, 0, 5);
    write(2, 2, 1, 10, 20);
    read(3, 0, 0, 12, 18);   // concurrent with the first write
    read(4, 2, 1, 15, 19);
    read(5, 2, 1, 30, 35);
    assertThat(h.check()).isEmpty();
    RegisterHistory doubt = new RegisterHistory(LBA);
    doubt.writeInvoked(1, 2, 1, 0);
    doubt.writeCompleted(2, 1, 3, false);
    assertThat(doubt.finalRule(BlockStamp.Result.ZERO)).as("only an in-doubt write: zeros allowed").isNull();
  }

  @Test
  void aStaleReadAfterACompletedNewerWriteFails() {
    write(1, 2, 1, 0, 10);
    write(2, 3, 1, 20, 30);
    read(3, 2, 1, 40, 50);
    Violation v = failure();
    assertThat(v.rule()).isEqualTo("not linearizable");
    assertThat(v.opId()).isEqualTo(3);
    assertThat(v.toString()).contains("lba=40", "(op 3)", "read op 3 [40, 50] returned seq 1 (writer 2)",
        "holds seq 1 (writer 3)");
  }

  @Test
  void zerosAfterACompletedWriteFail() {
    write(1, 2, 1, 0, 10);
    read(2, 0, 0, 20, 30);
    assertThat(failure().opId()).isEqualTo(2);
  }

  @Test
  void newThenOldAcrossTwoReadsFails() {
    write(1, 2, 1, 0, 10);
    write(2, 3, 1, 20, 60);        // long write
    read(3, 3, 1, 30, 35);   // sees it
    read(4, 2, 1, 40, 45);   // later, the older value again
    Violation v = failure();
    assertThat(v.rule()).isEqualTo("not linearizable");
    assertThat(v.opId()).isEqualTo(4);
    // without the first read the second is fine
    RegisterHistory fine = new RegisterHistory(LBA);
    fine.writeInvoked(1, 2, 1, 0);
    fine.writeCompleted(2, 1, 10, true);
    fine.writeInvoked(2, 3, 1, 20);
    fine.readCompleted(4, value(2, 1), 40, 45);
    fine.writeCompleted(3, 1, 60, true);
    assertThat(fine.check()).isEmpty();
  }

  @Test
  void aValueNeverWrittenFails() {
    write(1, 2, 1, 0, 10);
    assertThat(h.readCompleted(2, value(2, 7), 20, 30)).as("online").isNotNull()
        .satisfies(b -> assertThat(b.rule()).isEqualTo("never written"));
    Violation v = failure();
    assertThat(v.rule()).isEqualTo("never written");
    assertThat(v.opId()).isEqualTo(2);
    assertThat(h.finalRule(value(3, 1)).rule()).isEqualTo("never written");
  }

  @Test
  void aReadOfAWriteSentAfterItCompletedFails() {
    assertThat(h.readCompleted(1, value(2, 1), 0, 5)).as("online").isNotNull(); // not sent yet
    write(2, 2, 1, 10, 20);
    Violation v = failure();
    assertThat(v.rule()).isEqualTo("future read");
    assertThat(v.opId()).isEqualTo(1);
  }

  @Test
  void anInDoubtValueResurrectingAfterANewerOneWasReadFails() {
    write(1, 2, 1, 0, DOUBT);
    read(2, 2, 1, 10, 12);   // the in-doubt write took effect
    write(3, 3, 1, 20, 30);
    read(4, 3, 1, 40, 42);
    assertThat(h.check()).isEmpty();
    // at the end, the in-doubt value may not come back either
    assertThat(h.finalRule(value(3, 1))).isNull();
    assertThat(h.finalRule(value(2, 1)).rule()).isEqualTo("resurrection");
    read(5, 2, 1, 50, 52);   // back again
    Violation v = failure();
    assertThat(v.rule()).isEqualTo("not linearizable");
    assertThat(v.opId()).isEqualTo(5);
  }

  @Test
  void anUnobservedInDoubtWriteMayStillBeTheLastOne() {
    write(1, 2, 1, 0, DOUBT);
    write(2, 3, 1, 20, 30);
    read(3, 3, 1, 40, 42);
    assertThat(h.check()).isEmpty();
    assertThat(h.finalRule(value(2, 1))).as("applied after everything").isNull();
  }

  @Test
  void anOverwrittenAckedValueIsNotAFinalValue() {
    write(1, 2, 1, 0, 10);
    write(2, 3, 1, 20, 30);
    write(3, 4, 1, 25, 40);        // overlaps writer 3's: either may be last
    assertThat(h.finalRule(value(2, 1)).rule()).isEqualTo("older value");
    assertThat(h.finalRule(value(3, 1))).isNull();
    assertThat(h.finalRule(value(4, 1))).isNull();
  }

  @Test
  void manyInDoubtWritesStayCheap() {
    // 60 unobserved in-doubt writes would be 2^60 subsets to a plain search
    long t = 0;
    for (int i = 1; i <= 60; i++) {
      write(i, 2 + i % 3, i, t, DOUBT);
      read(1000 + i, 0, 0, t + 1, t + 2);
      t += 10;
    }
    write(100, 2, 1000, t, t + 5);
    read(2000, 2, 1000, t + 10, t + 11);
    assertThat(h.check()).isEmpty();
  }

  @Test
  void aHistoryTooLargeToCheckFails() {
    RegisterHistory small = new RegisterHistory(LBA, 4, WglChecker.DEFAULT_STEP_BUDGET);
    for (int i = 1; i <= 5; i++) {
      small.writeInvoked(i, 2, i, 10L * i);
      small.writeCompleted(2, i, 10L * i + 5, true);
    }
    assertThat(small.room()).isZero();
    assertThat(small.check()).singleElement().satisfies(v -> {
      assertThat(v.rule()).isEqualTo("too large to check");
      assertThat(v.detail()).contains("5 ops", "not a pass");
    });
    assertThat(small.finalRule(value(2, 3)).rule()).isEqualTo("too large to check");

    RegisterHistory costly = new RegisterHistory(LBA, RegisterHistory.MAX_OPS, 5);
    for (int i = 1; i <= 4; i++) {
      costly.writeInvoked(i, 1 + i, 1, 0);
    }
    for (int i = 1; i <= 4; i++) {
      costly.writeCompleted(1 + i, 1, 10, true);
    }
    costly.readCompleted(5, value(2, 1), 20, 30); // writer 2's must be the last: the search backtracks
    assertThat(costly.check()).singleElement().satisfies(v -> {
      assertThat(v.rule()).isEqualTo("too large to check");
      assertThat(v.detail()).contains("gave up after 6 steps");
    });
  }

  @Test
  void theSearchItselfOnRawOps() {
    long never = Long.MAX_VALUE;
    // a read of 1 can be placed between two overlapping writes of 1 and 2 only in one order
    WglChecker.Result ok = WglChecker.search(new long[] {0, 0, 5}, new long[] {10, 10, 6},
        new boolean[] {true, true, false}, new int[] {2, 1, 1}, 1000);
    assertThat(ok.linearizable()).isTrue();
    // an op of zero length, and one that never returns
    assertThat(WglChecker.search(new long[] {3, 3, 4}, new long[] {3, never, 9},
        new boolean[] {true, true, false}, new int[] {1, 2, 1}, 1000).linearizable()).isTrue();
    WglChecker.Result bad = WglChecker.search(new long[] {0, 20}, new long[] {10, 30},
        new boolean[] {true, false}, new int[] {1, 0}, 1000);
    assertThat(bad.verdict()).isEqualTo(WglChecker.Verdict.NOT_LINEARIZABLE);
    assertThat(bad.stuck()).isEqualTo(1);
    assertThat(bad.prefix()).containsExactly(0);
    assertThat(bad.valueThere()).isEqualTo(1);
    assertThat(WglChecker.search(new long[0], new long[0], new boolean[0], new int[0], 1).linearizable()).isTrue();
  }
}
