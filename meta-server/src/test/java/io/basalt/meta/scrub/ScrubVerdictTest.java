package io.basalt.meta.scrub;

import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.proto.ReplicaScrub;
import io.basalt.proto.ScrubExtentResponse;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** The comparison alone: what each combination of member digests means. */
class ScrubVerdictTest {
  static final long MIB = 1L << 20;

  static ReplicaScrub member(int cid, String hash, String... ranges) {
    return ReplicaScrub.newBuilder().setCid(cid).setGen(7).setHash(hash).addAllRangeHashes(List.of(ranges)).build();
  }

  static ScrubExtentResponse answer(ReplicaScrub... members) {
    return ScrubExtentResponse.newBuilder().setPid(5).setGen(7).setOwnerCid(members[0].getCid())
        .addAllReplicas(List.of(members)).build();
  }

  @Test
  void allEqualIsOk() {
    ScrubVerdict v = ScrubVerdict.judge(5, answer(member(1, "aa"), member(2, "aa"), member(3, "aa")), MIB);
    assertThat(v.kind()).isEqualTo(ScrubVerdict.Kind.OK);
    assertThat(v.quarantines()).isEmpty();
    assertThat(v.suspect()).isFalse();
  }

  @Test
  void aMinorityIsQuarantinedWithTheRangesThatDiffer() {
    ScrubVerdict v = ScrubVerdict.judge(5, answer(member(1, "aa", "r0", "r1", "r2"),
        member(2, "bb", "r0", "XX", "r2", "r3"), member(3, "aa", "r0", "r1", "r2")), MIB);
    assertThat(v.kind()).isEqualTo(ScrubVerdict.Kind.MISMATCH);
    assertThat(v.suspect()).isFalse();
    assertThat(v.quarantines()).hasSize(1);
    ScrubVerdict.Quarantine q = v.quarantines().get(0);
    assertThat(q.cid()).isEqualTo(2);
    assertThat(q.blocks()).containsExactly(256L, 768L); // ranges 1 and 3 of 1 MiB, in 4 KiB blocks
    assertThat(q.reason()).contains("pid=5", "gen=7", "bb", "aa");
  }

  @Test
  void noMajorityIsSuspectAndRemovesNothing() {
    ScrubVerdict two = ScrubVerdict.judge(5, answer(member(1, "aa"), member(2, "bb")), MIB);
    assertThat(two.kind()).isEqualTo(ScrubVerdict.Kind.MISMATCH);
    assertThat(two.suspect()).isTrue();
    assertThat(two.quarantines()).isEmpty();
    ScrubVerdict three = ScrubVerdict.judge(5, answer(member(1, "aa"), member(2, "bb"), member(3, "cc")), MIB);
    assertThat(three.suspect()).isTrue();
    assertThat(three.quarantines()).isEmpty();
  }

  @Test
  void crcErrorsQuarantineTheFailingMemberButNeverEveryMember() {
    ReplicaScrub bad = member(3, "aa").toBuilder().addAllCrcErrors(List.of(4L, 9L)).setBytesRead(MIB).build();
    ScrubVerdict v = ScrubVerdict.judge(5, answer(member(1, "aa"), member(2, "aa"), bad), MIB);
    assertThat(v.kind()).isEqualTo(ScrubVerdict.Kind.CRC_ERROR);
    assertThat(v.quarantines()).singleElement().satisfies(q -> {
      assertThat(q.cid()).isEqualTo(3);
      assertThat(q.blocks()).containsExactly(4L, 9L);
    });
    assertThat(v.bytesRead()).containsEntry(3, MIB);

    ReplicaScrub bad1 = member(1, "aa").toBuilder().addCrcErrors(1).build();
    ReplicaScrub bad2 = member(2, "aa").toBuilder().addCrcErrors(2).build();
    ScrubVerdict all = ScrubVerdict.judge(5, answer(bad1, bad2), MIB);
    assertThat(all.kind()).isEqualTo(ScrubVerdict.Kind.CRC_ERROR);
    assertThat(all.suspect()).isTrue();
    assertThat(all.quarantines()).isEmpty();
  }

  @Test
  void crcBlocksAreCapped() {
    ReplicaScrub bad = member(3, "aa").toBuilder()
        .addAllCrcErrors(LongStream.range(0, 2000).boxed().toList()).build();
    ScrubVerdict v = ScrubVerdict.judge(5, answer(member(1, "aa"), member(2, "aa"), bad), MIB);
    assertThat(v.quarantines().get(0).blocks()).hasSize(ScrubVerdict.MAX_BLOCKS);
  }

  @Test
  void aMemberWithoutDigestMakesItPending() {
    ReplicaScrub passed = ReplicaScrub.newBuilder().setCid(2).setGenPassed(true).build();
    ScrubVerdict v = ScrubVerdict.judge(5, answer(member(1, "aa"), passed, member(3, "bb")), MIB);
    assertThat(v.kind()).isEqualTo(ScrubVerdict.Kind.PENDING);
    assertThat(v.quarantines()).isEmpty();
    ReplicaScrub error = ReplicaScrub.newBuilder().setCid(3).setError("replica is RECOVERING").build();
    assertThat(ScrubVerdict.judge(5, answer(member(1, "aa"), member(2, "aa"), error), MIB).kind())
        .isEqualTo(ScrubVerdict.Kind.PENDING);
    assertThat(ScrubVerdict.judge(5, ScrubExtentResponse.newBuilder().setPid(5).build(), MIB).kind())
        .isEqualTo(ScrubVerdict.Kind.PENDING);
  }
}
