package io.basalt.meta.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.basalt.meta.state.Chunk;
import io.basalt.proto.ChunkStatus;
import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class PlacementPolicyTest {
  static final long NOW = Duration.ofHours(1).toNanos();
  static final long SEC = Duration.ofSeconds(1).toNanos();
  final PlacementPolicy policy = new PlacementPolicy(Duration.ofSeconds(10));

  static Candidate chunk(int cid, String zone, long count) {
    return new Candidate(cid, zone, ChunkStatus.HEALTHY, NOW - SEC, count, 0);
  }

  @Test
  void picksDistinctLeastUsedChunks() {
    List<Candidate> chunks = List.of(chunk(1, "", 5), chunk(2, "", 1), chunk(3, "", 3), chunk(4, "", 0));
    assertThat(policy.choose(chunks, 3, 0, NOW)).containsExactly(4, 2, 3);
  }

  @Test
  void tiesBreakOnUsedBytesThenCid() {
    List<Candidate> chunks = List.of(
        new Candidate(5, "", ChunkStatus.HEALTHY, NOW, 1, 100),
        new Candidate(3, "", ChunkStatus.HEALTHY, NOW, 1, 100),
        new Candidate(4, "", ChunkStatus.HEALTHY, NOW, 1, 50));
    assertThat(policy.choose(chunks, 2, 0, NOW)).containsExactly(4, 3);
  }

  @Test
  void fullChunksAreNotEligibleEvenWhenPreferred() {
    List<Candidate> chunks = List.of(chunk(1, "", 0),
        new Candidate(2, "", ChunkStatus.HEALTHY, NOW - SEC, 0, 0, true), chunk(3, "", 4), chunk(4, "", 5));
    assertThat(policy.choose(chunks, 3, 2, NOW)).containsExactly(1, 3, 4);
    assertThat(policy.isLive(chunks.get(1), NOW)).isFalse();
    assertThatThrownBy(() -> policy.choose(chunks, 4, 0, NOW))
        .isInstanceOfSatisfying(BasaltException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NO_SPACE))
        .hasMessageContaining("full disk");
  }

  @Test
  void spreadsOverZonesBeforeLoad() {
    List<Candidate> chunks = List.of(chunk(1, "a", 0), chunk(2, "a", 0), chunk(3, "a", 1), chunk(4, "b", 9),
        chunk(5, "c", 7));
    assertThat(policy.choose(chunks, 3, 0, NOW)).containsExactly(1, 5, 4);
  }

  @Test
  void fillsFromSameZoneWhenTooFewZones() {
    List<Candidate> chunks = List.of(chunk(1, "a", 0), chunk(2, "a", 1), chunk(3, "b", 5));
    assertThat(policy.choose(chunks, 3, 0, NOW)).containsExactly(1, 3, 2);
  }

  @Test
  void preferredChunkComesFirstWhenEligible() {
    List<Candidate> chunks = List.of(chunk(1, "", 0), chunk(2, "", 0), chunk(3, "", 9));
    assertThat(policy.choose(chunks, 2, 3, NOW)).containsExactly(3, 1);
    assertThat(policy.choose(chunks, 2, 99, NOW)).containsExactly(1, 2);
  }

  @Test
  void preferredChunkIsSkippedWhenNotLive() {
    List<Candidate> chunks = List.of(chunk(1, "", 0), chunk(2, "", 0),
        new Candidate(3, "", ChunkStatus.HEALTHY, NOW - 11 * SEC, 0, 0));
    assertThat(policy.choose(chunks, 2, 3, NOW)).containsExactly(1, 2);
  }

  @Test
  void onlyHealthyChunksHeardFromWithinTheWindowAreEligible() {
    List<Candidate> chunks = List.of(
        chunk(1, "", 0),
        new Candidate(2, "", ChunkStatus.HEALTHY, Chunk.NEVER, 0, 0),
        new Candidate(3, "", ChunkStatus.DRAINING, NOW, 0, 0),
        new Candidate(4, "", ChunkStatus.HEALTHY, NOW - 10 * SEC, 0, 0),
        new Candidate(5, "", ChunkStatus.HEALTHY, NOW - 10 * SEC - 1, 0, 0));
    assertThat(policy.choose(chunks, 2, 0, NOW)).containsExactly(1, 4);
  }

  @Test
  void tooFewLiveChunksIsNoSpace() {
    List<Candidate> chunks = List.of(chunk(1, "", 0), chunk(2, "", 0),
        new Candidate(3, "", ChunkStatus.SESSION_EXPIRED, NOW, 0, 0));
    assertThatThrownBy(() -> policy.choose(chunks, 3, 0, NOW))
        .isInstanceOf(BasaltException.class)
        .hasMessageContaining("need 3 live chunks, have 2")
        .satisfies(e -> assertThat(((BasaltException) e).code()).isEqualTo(ErrorCode.NO_SPACE));
  }

  @RepeatedTest(20)
  void alwaysDistinctAndZoneSpreadWhenPossible(RepetitionInfo repetition) {
    Random random = new Random(repetition.getCurrentRepetition());
    List<Candidate> chunks = new ArrayList<>();
    int n = 3 + random.nextInt(10);
    for (int cid = 1; cid <= n; cid++) {
      chunks.add(chunk(cid, "z" + random.nextInt(4), random.nextInt(5)));
    }
    int replicas = 1 + random.nextInt(3);
    List<Integer> picked = policy.choose(chunks, replicas, random.nextInt(n + 2), NOW);
    assertThat(picked).hasSize(replicas).doesNotHaveDuplicates();
    long zonesAvailable = chunks.stream().map(Candidate::zone).distinct().count();
    HashSet<String> zones = new HashSet<>();
    picked.forEach(cid -> zones.add(chunks.get(cid - 1).zone()));
    assertThat(zones).hasSize((int) Math.min(replicas, zonesAvailable));
  }

  @Test
  void balancePrimaryPutsTheChunkLeadingFewestExtentsFirst() {
    Map<Integer, Integer> primaries = Map.of(1, 5, 2, 0, 3, 2);
    Assertions.assertThat(
        PlacementPolicy.balancePrimary(List.of(1, 2, 3), c -> primaries.getOrDefault(c, 0), 0))
        .containsExactly(2, 1, 3);
  }

  @Test
  void balancePrimaryKeepsThePreferredChunkFirst() {
    Map<Integer, Integer> primaries = Map.of(1, 5, 2, 0, 3, 2);
    Assertions.assertThat(
        PlacementPolicy.balancePrimary(List.of(1, 2, 3), c -> primaries.getOrDefault(c, 0), 1))
        .containsExactly(1, 2, 3);
  }
}
