package io.basalt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.cli.BasaltCliTest.Result;
import io.basalt.cli.QuarantineCommand.Answer;
import io.basalt.cli.QuarantineCommand.Entry;
import io.basalt.cli.output.JsonOutput;
import io.basalt.proto.ChunkInfo;
import io.basalt.proto.ChunkStatus;
import io.basalt.proto.QuarantineReport;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The cells, table, JSON and messages of {@code quarantine ls|rm} from reports built here, and argument checks. */
@Timeout(60)
class QuarantineFormatTest {
  static final long T0 = 1_764_000_000_000L; // 2025-11-24T16:00:00Z

  @Test
  void reasonIsOneLineAndCutInTheTable() {
    assertThat(QuarantineCommand.reasonCell("apply failed")).isEqualTo("apply failed");
    assertThat(QuarantineCommand.reasonCell("  two\nlines\t and  tabs ")).isEqualTo("two lines and tabs");
    String forty = "x".repeat(QuarantineCommand.REASON_WIDTH);
    assertThat(QuarantineCommand.reasonCell(forty)).isEqualTo(forty);
    assertThat(QuarantineCommand.reasonCell(forty + "y")).isEqualTo("x".repeat(37) + "...").hasSize(40);
    assertThat(QuarantineCommand.reasonCell("unexpected error in apply: java.lang.IllegalStateException: boom"))
        .isEqualTo("unexpected error in apply: java.lang...");
    assertThat(QuarantineCommand.reasonCell("x".repeat(36) + " yz and more words")).isEqualTo("x".repeat(36) + "...");
    assertThat(QuarantineCommand.reasonCell("")).isNull();
  }

  @Test
  void blocksAreListedUpToFourElseCounted() {
    assertThat(QuarantineCommand.blocksCell(List.of())).isNull();
    assertThat(QuarantineCommand.blocksCell(List.of(17L))).isEqualTo("17");
    assertThat(QuarantineCommand.blocksCell(List.of(0L, 1L, 2L, 255L))).isEqualTo("0,1,2,255");
    assertThat(QuarantineCommand.blocksCell(List.of(0L, 1L, 2L, 3L, 4L))).isEqualTo("5 blocks");
    assertThat(QuarantineCommand.blocksCell(LongStream.range(0, 1024).boxed().toList())).isEqualTo("1024 blocks");
  }

  @Test
  void tableShowsMissingValuesAsDashes() {
    QuarantineReport full = QuarantineReport.newBuilder().setPid(1L << 40).setCid(3).setReason("scrub mismatch")
        .addBlocks(4).setEvidence("/var/lib/basalt/sdb/quarantine/pid-1099511627776-" + T0).setEpoch(2).setGen(9)
        .setQuarantinedAtMs(T0 + 999).build();
    // an interrupted save: only the pid (from the directory name), a reason and the directory
    QuarantineReport incomplete = QuarantineReport.newBuilder().setPid(8)
        .setReason("incomplete evidence (no readable report)").setEvidence("/d/quarantine/pid-8-1").build();
    QuarantineReport bare = QuarantineReport.getDefaultInstance();
    assertThat(QuarantineCommand.table(List.of(new Entry(3, full), new Entry(3, incomplete), new Entry(4, bare))))
        .isEqualTo("""
            PID            CID  REASON                                    BLOCKS  EVIDENCE                                                        QUARANTINED
            1099511627776  3    scrub mismatch                            4       /var/lib/basalt/sdb/quarantine/pid-1099511627776-1764000000000  2025-11-24T16:00:00Z
            8              3    incomplete evidence (no readable report)  -       /d/quarantine/pid-8-1                                           -
            0              4    -                                         -       -                                                               -
            """);
    assertThat(QuarantineCommand.table(List.of())).isEqualTo("PID  CID  REASON  BLOCKS  EVIDENCE  QUARANTINED\n");
  }

  @Test
  void jsonKeysAndValues() {
    QuarantineReport r = QuarantineReport.newBuilder().setPid(7).setCid(2).setReason("apply failed\nat gen 5")
        .addBlocks(3).addBlocks(9).setEvidence("/d/q/pid-7").setEpoch(4).setGen(120).setQuarantinedAtMs(T0 + 250)
        .build();
    assertThat(JsonOutput.compact(QuarantineCommand.toJson(new Entry(2, r)))).isEqualTo(
        "{\"pid\":7,\"cid\":2,\"reason\":\"apply failed\\nat gen 5\",\"blocks\":[3,9],\"evidence\":\"/d/q/pid-7\","
            + "\"epoch\":4,\"gen\":120,\"quarantined_at\":\"2025-11-24T16:00:00.250Z\"}");
    assertThat(JsonOutput.compact(QuarantineCommand.toJson(new Entry(5, QuarantineReport.getDefaultInstance()))))
        .isEqualTo("{\"pid\":0,\"cid\":5,\"reason\":\"\",\"blocks\":[],\"evidence\":\"\",\"epoch\":0,\"gen\":0,"
            + "\"quarantined_at\":null}");
  }

  @Test
  void entriesKeepTheChunksOrderAndNameTheChunkThatAnswered() {
    QuarantineReport a = QuarantineReport.newBuilder().setPid(1).setCid(0).build(); // incomplete: no cid inside
    QuarantineReport b = QuarantineReport.newBuilder().setPid(2).setCid(2).build();
    List<Answer> answers = List.of(
        new Answer(ChunkInfo.newBuilder().setCid(1).setAddress("h:1").build(), List.of(a, b), null),
        new Answer(ChunkInfo.newBuilder().setCid(2).setAddress("h:2").build(), List.of(), "UNAVAILABLE: down"),
        new Answer(ChunkInfo.newBuilder().setCid(3).setAddress("h:3").build(), List.of(b), null));
    assertThat(QuarantineCommand.entries(answers)).containsExactly(new Entry(1, a), new Entry(1, b), new Entry(3, b));
    assertThat(QuarantineCommand.failed(answers)).extracting(x -> x.chunk().getCid()).containsExactly(2);
  }

  @Test
  void warningsAndErrors() {
    ChunkInfo healthy = ChunkInfo.newBuilder().setCid(2).setAddress("10.0.0.2:7100").setStatus(ChunkStatus.HEALTHY)
        .build();
    assertThat(QuarantineCommand.warning(new Answer(healthy, List.of(), "TIMEOUT: deadline exceeded")))
        .isEqualTo("warning: chunk cid=2 (10.0.0.2:7100): TIMEOUT: deadline exceeded");
    ChunkInfo expired = healthy.toBuilder().setStatus(ChunkStatus.SESSION_EXPIRED).build();
    assertThat(QuarantineCommand.warning(new Answer(expired, List.of(), "UNAVAILABLE: cannot connect")))
        .isEqualTo("warning: chunk cid=2 (10.0.0.2:7100, SESSION_EXPIRED in meta): UNAVAILABLE: cannot connect");
    ChunkInfo noAddress = ChunkInfo.newBuilder().setCid(5).build();
    assertThat(QuarantineCommand.warning(new Answer(noAddress, List.of(), "no address known")))
        .isEqualTo("warning: chunk cid=5 (no address): no address known");

    Answer failed = new Answer(healthy, List.of(), "x");
    assertThat(QuarantineCommand.failedSummary(List.of(failed), 3)).isEqualTo("1 of 3 chunks failed (cid 2)");
    assertThat(QuarantineCommand.failedSummary(List.of(failed, new Answer(noAddress, List.of(), "y")), 5))
        .isEqualTo("2 of 5 chunks failed (cids 2, 5)");
    assertThat(QuarantineCommand.failedSummary(List.of(failed), 1)).isEqualTo("1 of 1 chunk failed (cid 2)");

    assertThat(QuarantineCommand.nothingMatched(5L, null)).isEqualTo("no quarantine evidence for pid=5");
    assertThat(QuarantineCommand.nothingMatched(5L, 2)).isEqualTo("no quarantine evidence for pid=5 on cid 2");
    assertThat(QuarantineCommand.nothingMatched(null, null)).isEqualTo("no quarantine evidence on any chunk");
    assertThat(QuarantineCommand.nothingMatched(null, 2)).isEqualTo("no quarantine evidence on cid 2");
  }

  /** Checked before anything connects: these fail the same without a cluster. */
  @Test
  void badRmArgumentsAreUsageErrors() {
    Result both = BasaltCliTest.run("quarantine", "rm", "5", "--all");
    assertThat(both.code()).isEqualTo(2);
    assertThat(both.err()).startsWith("give either PID or --all, not both\n").contains("Usage: basalt quarantine rm");
    Result neither = BasaltCliTest.run("quarantine", "rm");
    assertThat(neither.code()).isEqualTo(2);
    assertThat(neither.err()).startsWith("name the PID whose evidence to remove, or --all to remove every report\n");
    Result neitherWithCid = BasaltCliTest.run("quarantine", "rm", "--cid", "2");
    assertThat(neitherWithCid.code()).isEqualTo(2);
    assertThat(neitherWithCid.err()).startsWith("name the PID");
    Result negative = BasaltCliTest.run("quarantine", "rm", "-5");
    assertThat(negative.code()).isEqualTo(2);
    assertThat(negative.err()).startsWith("PID must be a positive number, not -5\n");
    assertThat(BasaltCliTest.run("quarantine", "rm", "0").err()).startsWith("PID must be a positive number, not 0");
    Result badCid = BasaltCliTest.run("quarantine", "rm", "5", "--cid", "-3");
    assertThat(badCid.code()).isEqualTo(2);
    assertThat(badCid.err()).startsWith("--cid must be a positive number, not -3\n");
    assertThat(BasaltCliTest.run("quarantine", "rm", "--all", "--cid", "0").code()).isEqualTo(2);
    Result notANumber = BasaltCliTest.run("quarantine", "rm", "pid-7");
    assertThat(notANumber.code()).isEqualTo(2);
    assertThat(notANumber.err()).contains("Invalid value for positional parameter at index 0 (PID): 'pid-7'");
    assertThat(BasaltCliTest.run("quarantine", "rm", "5", "6").code()).isEqualTo(2);
    assertThat(BasaltCliTest.run("quarantine", "rm", "5", "--cid", "two").code()).isEqualTo(2);
    for (Result r : List.of(both, neither, negative, badCid, notANumber)) {
      assertThat(r.out()).isEmpty();
    }
  }

  @Test
  void groupAndLsArguments() {
    Result group = BasaltCliTest.run("quarantine");
    assertThat(group.code()).isEqualTo(2);
    assertThat(group.err()).contains("Missing required subcommand: one of ls, rm");
    Result extra = BasaltCliTest.run("quarantine", "ls", "7");
    assertThat(extra.code()).isEqualTo(2);
    assertThat(extra.err()).contains("Unmatched argument").contains("'7'");
    assertThat(BasaltCliTest.run("quarantine", "ls", "--all").err()).contains("Unknown option: '--all'");
    assertThat(BasaltCliTest.run("quarantine", "ls", "--help").out()).contains("--json")
        .contains("List the quarantine reports of every chunk server");
    assertThat(BasaltCliTest.run("quarantine", "rm", "--help").out()).contains("--all").contains("--cid=CID")
        .contains("[PID]");
  }

  @Test
  void anUnreachableClusterIsAClusterError() {
    Result r = BasaltCliTest.run("quarantine", "ls", "--zk", "127.0.0.1:1", "--timeout", "1s");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).startsWith("error: UNAVAILABLE: cannot reach ZooKeeper at 127.0.0.1:1");
    assertThat(r.out()).isEmpty();
  }
}
