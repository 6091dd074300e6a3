package io.basalt.meta.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.meta.recovery.RecoveryPolicy.Assignment;
import io.basalt.meta.recovery.RecoveryPolicy.Candidate;
import io.basalt.meta.recovery.RecoveryPolicy.ChunkView;
import io.basalt.meta.recovery.RecoveryPolicy.Result;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RecoveryPolicyTest {
  static ChunkView chunk(int cid, String zone, long used) {
    return new ChunkView(cid, zone, true, used);
  }

  static List<ChunkView> sixChunks() {
    return List.of(chunk(1, "a", 0), chunk(2, "b", 0), chunk(3, "c", 0), chunk(4, "d", 0), chunk(5, "e", 0),
        chunk(6, "f", 0));
  }

  @Test
  void oneLiveReplicaFirstThenPid() {
    List<Candidate> c = List.of(new Candidate(10, 2, 1, List.of(1, 2)), new Candidate(11, 1, 3, List.of(3, 4)),
        new Candidate(9, 2, 5, List.of(5, 6)));
    Result r = RecoveryPolicy.plan(c, sixChunks(), Map.of(), 4, cid -> false);
    assertThat(r.assignments()).extracting(Assignment::pid).containsExactly(11L, 9L, 10L);
  }

  @Test
  void aChunkTakesPartInAtMostPerChunkRecoveriesAsTargetOrSource() {
    // Only chunk 3 can be a target; chunk 1 is every source.
    List<ChunkView> chunks = List.of(chunk(1, "a", 0), chunk(2, "b", 0), chunk(3, "c", 0));
    List<Candidate> c = List.of(new Candidate(1, 2, 1, List.of(1, 2)), new Candidate(2, 2, 1, List.of(1, 2)),
        new Candidate(3, 2, 1, List.of(1, 2)));
    Result r = RecoveryPolicy.plan(c, chunks, Map.of(), 2, cid -> false);
    assertThat(r.assignments()).containsExactly(new Assignment(1, 3, 1), new Assignment(2, 3, 1));
    assertThat(r.noTarget()).as("pid 3 is queued (limits), not without a target").isEmpty();

    Result busy = RecoveryPolicy.plan(c, chunks, Map.of(1, 2), 2, cid -> false);
    assertThat(busy.assignments()).as("the source already runs two").isEmpty();
    Result targetBusy = RecoveryPolicy.plan(c, chunks, Map.of(3, 2), 2, cid -> false);
    assertThat(targetBusy.assignments()).as("the only target already runs two").isEmpty();
  }

  @Test
  void targetIsNeverAMemberNorAnIneligibleChunk() {
    List<ChunkView> chunks = List.of(chunk(1, "a", 0), chunk(2, "b", 0), new ChunkView(3, "c", false, 0),
        chunk(4, "d", 100));
    Result r = RecoveryPolicy.plan(List.of(new Candidate(7, 2, 1, List.of(1, 2))), chunks, Map.of(), 4,
        cid -> false);
    assertThat(r.assignments()).containsExactly(new Assignment(7, 4, 1));

    Result none = RecoveryPolicy.plan(List.of(new Candidate(7, 2, 1, List.of(1, 2))),
        List.of(chunk(1, "a", 0), chunk(2, "b", 0), new ChunkView(3, "c", false, 0)), Map.of(), 4, cid -> false);
    assertThat(none.assignments()).isEmpty();
    assertThat(none.noTarget()).containsExactly(7L);
  }

  @Test
  void coolingDownChunksAreNeverPickedAndTheExtentWaits() {
    List<ChunkView> chunks = List.of(chunk(1, "a", 0), chunk(2, "b", 0), chunk(3, "c", 0), chunk(4, "d", 999));
    Candidate c = new Candidate(7, 2, 1, List.of(1, 2));
    assertThat(RecoveryPolicy.plan(List.of(c), chunks, Map.of(), 4, cid -> cid == 3).assignments())
        .containsExactly(new Assignment(7, 4, 1));
    Result waiting = RecoveryPolicy.plan(List.of(c), chunks, Map.of(), 4, cid -> cid >= 3);
    assertThat(waiting.assignments()).as("every candidate cools down: no flapping re-add").isEmpty();
    assertThat(waiting.noTarget()).as("it waits for a cooldown to end, it is not without targets").isEmpty();
  }

  @Test
  void distinctZoneFirstThenLeastUsedThenFewestRecoveries() {
    List<ChunkView> chunks = List.of(chunk(1, "a", 0), chunk(2, "b", 0), chunk(3, "a", 0), chunk(4, "c", 500),
        chunk(5, "c", 400), chunk(6, "d", 400));
    Candidate c = new Candidate(7, 2, 1, List.of(1, 2));
    assertThat(RecoveryPolicy.plan(List.of(c), chunks, Map.of(), 4, cid -> false).assignments())
        .as("chunk 3 is emptiest but shares zone a").containsExactly(new Assignment(7, 5, 1));
    assertThat(RecoveryPolicy.plan(List.of(c), chunks, Map.of(5, 1), 4, cid -> false).assignments())
        .as("equal usage: fewer running recoveries").containsExactly(new Assignment(7, 6, 1));
    Set<Integer> sameZone = Set.of(3);
    List<ChunkView> onlyA = List.of(chunk(1, "a", 0), chunk(2, "b", 0), chunk(3, "a", 0));
    assertThat(RecoveryPolicy.plan(List.of(c), onlyA, Map.of(), 4, cid -> false).assignments())
        .as("no distinct zone left: a shared one").extracting(Assignment::target).containsExactlyElementsOf(sameZone);
  }

  @Test
  void assignmentsInOnePassCountTowardTheLimits() {
    List<ChunkView> chunks = List.of(chunk(1, "a", 0), chunk(2, "b", 0), chunk(3, "c", 0), chunk(4, "d", 10));
    List<Candidate> c = List.of(new Candidate(1, 2, 1, List.of(1, 2)), new Candidate(2, 2, 2, List.of(1, 2)));
    Result r = RecoveryPolicy.plan(c, chunks, Map.of(), 1, cid -> false);
    assertThat(r.assignments()).containsExactly(new Assignment(1, 3, 1), new Assignment(2, 4, 2));
  }

  // ---- returning members (ReturnWait) and catch-up holders ----

  static Candidate returning(long pid, int live, int preferred, boolean waiting, Set<Integer> holders) {
    return new Candidate(pid, live, 1, List.of(1, 2), preferred, waiting, holders);
  }

  @Test
  void aWaitingExtentGetsNoTargetAndIsNotWithoutOne() {
    Result r = RecoveryPolicy.plan(List.of(returning(7, 2, 0, true, Set.of())), sixChunks(), Map.of(), 4,
        cid -> false);
    assertThat(r.assignments()).isEmpty();
    assertThat(r.noTarget()).isEmpty();
    Result noChunk = RecoveryPolicy.plan(List.of(returning(7, 2, 0, true, Set.of())),
        List.of(chunk(1, "a", 0), chunk(2, "b", 0)), Map.of(), 4, cid -> false);
    assertThat(noChunk.noTarget()).as("waiting, not 'no target' (no warning)").isEmpty();
  }

  @Test
  void aReturningRestartedChunkIsPreferredDespiteItsCooldown() {
    // chunk 6 is fullest and cools down (ReplicaFailed), chunk 3 would be the plain pick
    List<ChunkView> chunks = List.of(chunk(1, "a", 0), chunk(2, "b", 0), chunk(3, "c", 0), chunk(6, "a", 900));
    Result r = RecoveryPolicy.plan(List.of(returning(7, 2, 6, false, Set.of(6))), chunks, Map.of(), 4,
        cid -> cid == 6);
    assertThat(r.assignments()).containsExactly(new Assignment(7, 6, 1));
  }

  @Test
  void aReturningChunkThatCannotTakeItYetIsWaitedForUnlessOneReplicaIsLeft() {
    List<ChunkView> chunks = List.of(chunk(1, "a", 0), chunk(2, "b", 0), chunk(3, "c", 0), chunk(6, "d", 0));
    Result busy = RecoveryPolicy.plan(List.of(returning(7, 2, 6, false, Set.of(6))), chunks, Map.of(6, 4), 4,
        cid -> cid == 6);
    assertThat(busy.assignments()).as("at its load limit: the extent waits for it").isEmpty();
    assertThat(busy.noTarget()).isEmpty();
    List<ChunkView> ineligible = List.of(chunk(1, "a", 0), chunk(2, "b", 0), chunk(3, "c", 0),
        new ChunkView(6, "d", false, 0));
    assertThat(RecoveryPolicy.plan(List.of(returning(7, 2, 6, false, Set.of(6))), ineligible, Map.of(), 4,
        cid -> cid == 6).assignments()).as("not HEALTHY with a live session yet: waits").isEmpty();
    Result last = RecoveryPolicy.plan(List.of(returning(7, 1, 6, false, Set.of(6))), chunks, Map.of(6, 4), 4,
        cid -> cid == 6);
    assertThat(last.assignments()).as("one live replica: recover now, elsewhere")
        .containsExactly(new Assignment(7, 3, 1));
  }

  @Test
  void afterTheWaitAnotherChunkIsPickedAsToday() {
    List<ChunkView> chunks = List.of(chunk(1, "a", 0), chunk(2, "b", 0), chunk(3, "c", 0), chunk(6, "d", 0));
    Result r = RecoveryPolicy.plan(List.of(returning(7, 2, 0, false, Set.of())), chunks, Map.of(), 4,
        cid -> cid == 6);
    assertThat(r.assignments()).as("the departed chunk still cools down").containsExactly(new Assignment(7, 3, 1));
  }

  @Test
  void aChunkHoldingACatchUpCopyIsPreferredWithoutADeparture() {
    List<ChunkView> chunks = List.of(chunk(1, "a", 0), chunk(2, "b", 0), chunk(3, "c", 0), chunk(4, "d", 500),
        chunk(5, "a", 0));
    assertThat(RecoveryPolicy.plan(List.of(returning(7, 2, 0, false, Set.of(4))), chunks, Map.of(), 4,
        cid -> false).assignments()).as("over the emptier chunk 3").containsExactly(new Assignment(7, 4, 1));
    assertThat(RecoveryPolicy.plan(List.of(returning(7, 2, 0, false, Set.of(4))), chunks, Map.of(), 4,
        cid -> cid == 4).assignments()).as("but not while it cools down").containsExactly(new Assignment(7, 3, 1));
    assertThat(RecoveryPolicy.plan(List.of(returning(7, 2, 0, false, Set.of(5))), chunks, Map.of(), 4,
        cid -> false).assignments()).as("zone spread first: chunk 5 shares zone a with member 1")
        .containsExactly(new Assignment(7, 3, 1));
    assertThat(RecoveryPolicy.plan(List.of(returning(7, 2, 0, false, Set.of(2))), chunks, Map.of(), 4,
        cid -> false).assignments()).as("a member is never the target").containsExactly(new Assignment(7, 3, 1));
  }
}
