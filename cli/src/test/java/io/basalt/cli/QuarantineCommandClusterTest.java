package io.basalt.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.basalt.cli.BasaltCliTest.Result;
import io.basalt.meta.MetaConfig;
import io.basalt.meta.MetaServer;
import io.basalt.meta.zk.EmbeddedZooKeeper;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ListQuarantineResponse;
import io.basalt.proto.QuarantineReport;
import io.basalt.proto.RegisterChunkRequest;
import io.basalt.proto.RemoveQuarantineRequest;
import io.basalt.proto.RemoveQuarantineResponse;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.Reply;
import io.basalt.rpc.RpcServer;
import io.basalt.session.SessionConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code quarantine ls|rm} against a real meta leader in this JVM (embedded ZooKeeper) whose chunks are fake chunk
 * servers: RpcServers answering ListQuarantine and RemoveQuarantine from a list of reports, as the chunk server's
 * AdminService does (pid 0 without all is INVALID_ARGUMENT). Chunks that cannot be reached (a closed port), never
 * answer, or answer with an error are added per test.
 */
@Timeout(120)
class QuarantineCommandClusterTest {
  static final String CLUSTER = "quarantinetest";
  static final long T0 = 1_764_000_000_000L; // 2025-11-24T16:00:00Z
  static final String HEADER = "PID  CID  REASON  BLOCKS  EVIDENCE  QUARANTINED";

  @TempDir
  Path dir;
  EmbeddedZooKeeper zk;
  MetaServer meta;
  final List<FakeChunk> fakes = new ArrayList<>();
  FakeChunk one;
  FakeChunk two;
  FakeChunk three;
  int cid1;
  int cid2;
  int cid3;

  /** A chunk server's admin endpoint for quarantine: the reports it keeps, and what it was asked. */
  static final class FakeChunk implements AutoCloseable {
    final List<QuarantineReport> reports = new CopyOnWriteArrayList<>();
    final List<RemoveQuarantineRequest> removes = new CopyOnWriteArrayList<>();
    final List<Envelope.BodyCase> calls = new CopyOnWriteArrayList<>();
    final RpcServer server;
    /** Non-null: every call fails with it. */
    volatile BasaltException failWith;
    /** Calls are never answered (the CLI's deadline must end them). */
    volatile boolean hang;

    FakeChunk() {
      server = RpcServer.builder("fake-chunk").bind("127.0.0.1", 0)
          .handle(Envelope.BodyCase.LIST_QUARANTINE, f -> answer(f.header(), () -> Reply.of(Envelope.newBuilder()
              .setListQuarantineResponse(ListQuarantineResponse.newBuilder().addAllReports(reports)))))
          .handle(Envelope.BodyCase.REMOVE_QUARANTINE, f -> answer(f.header(), () -> {
            RemoveQuarantineRequest r = f.header().getRemoveQuarantine();
            removes.add(r);
            if (!r.getAll() && r.getPid() == 0) {
              throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "remove quarantine: name a pid or ask for all");
            }
            List<QuarantineReport> removed = reports.stream().filter(q -> r.getAll() || q.getPid() == r.getPid())
                .toList();
            reports.removeAll(removed);
            return Reply.of(Envelope.newBuilder().setRemoveQuarantineResponse(
                RemoveQuarantineResponse.newBuilder().addAllRemoved(removed)));
          }))
          .build().start();
    }

    private CompletableFuture<Reply> answer(Envelope request, Supplier<Reply> reply) {
      calls.add(request.getBodyCase());
      if (hang) {
        return new CompletableFuture<>();
      }
      if (failWith != null) {
        return CompletableFuture.failedFuture(failWith);
      }
      try {
        return CompletableFuture.completedFuture(reply.get());
      } catch (BasaltException e) {
        return CompletableFuture.failedFuture(e);
      }
    }

    String address() {
      return server.address();
    }

    @Override
    public void close() {
      server.close();
    }
  }

  static QuarantineReport report(long pid, String reason, List<Long> blocks, String evidence, long epoch, long gen,
      long atMs) {
    return QuarantineReport.newBuilder().setPid(pid).setReason(reason).addAllBlocks(blocks).setEvidence(evidence)
        .setEpoch(epoch).setGen(gen).setQuarantinedAtMs(atMs).build();
  }

  static final QuarantineReport P7_ON_1 = report(7, "apply failed: IO_ERROR: rocksdb write", List.of(3L, 9L),
      "/data/c1/quarantine/pid-7-" + T0, 4, 120, T0);
  static final QuarantineReport P12_ON_1 = report(12, "scrub mismatch against the owner's digest at gen 88",
      LongStream.range(0, 10).boxed().toList(), "/data/c1/quarantine/pid-12-" + (T0 + 61_000), 2, 88, T0 + 61_000);
  static final QuarantineReport P7_ON_2 = report(7, "unrepairable CRC failure", List.of(), "/data/c2/quarantine/pid-7-"
      + (T0 + 5_250), 4, 119, T0 + 5_250);

  @BeforeEach
  void start() {
    zk = EmbeddedZooKeeper.start(dir);
    meta = MetaServer.start(MetaConfig.defaults(zk.getConnectionString()).withCluster(CLUSTER)
        .withListen("127.0.0.1", 0).withZkSessionTimeout(Duration.ofSeconds(6))
        .withSessions(SessionConfig.of(Duration.ofMillis(100), Duration.ofSeconds(1))));
    await().atMost(Duration.ofSeconds(20)).until(meta::isActiveLeader);
    one = fake(P7_ON_1, P12_ON_1);
    two = fake(P7_ON_2);
    three = fake();
    cid1 = register(one.address());
    cid2 = register(two.address());
    cid3 = register(three.address());
  }

  @AfterEach
  void stop() {
    fakes.forEach(FakeChunk::close);
    meta.close();
    zk.close();
  }

  private FakeChunk fake(QuarantineReport... reports) {
    FakeChunk f = new FakeChunk();
    f.reports.addAll(List.of(reports));
    fakes.add(f);
    return f;
  }

  private int register(String address) {
    return meta.core().chunks().register(RegisterChunkRequest.newBuilder().setAddress(address).setZone("z")
        .setCapacityBytes(1L << 40).build()).join().getCid();
  }

  /** An address nothing listens on: a port just bound and released. */
  static String deadAddress() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return "127.0.0.1:" + s.getLocalPort();
    }
  }

  private Result cli(String... args) {
    List<String> all = new ArrayList<>(Arrays.asList(args));
    all.addAll(List.of("--zk", zk.getConnectionString(), "--cluster", CLUSTER, "--timeout", "10s"));
    return BasaltCliTest.run(all.toArray(String[]::new));
  }

  private static List<Map<String, Object>> json(Result r) {
    return SessionCommandsClusterTest.jsonArray(r.out());
  }

  /** The table's lines for the rows {@code (cid, report)}, laid out as TablePrinter does. */
  private static String table(Object... cidAndReport) {
    List<QuarantineCommand.Entry> entries = new ArrayList<>();
    for (int i = 0; i < cidAndReport.length; i += 2) {
      entries.add(new QuarantineCommand.Entry((Integer) cidAndReport[i], (QuarantineReport) cidAndReport[i + 1]));
    }
    return QuarantineCommand.table(entries);
  }

  @Test
  void lsPrintsEveryChunksReportsAsATable() {
    Result r = cli("quarantine", "ls");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(List.of(cid1, cid2, cid3)).containsExactly(1, 2, 3); // a fresh cluster numbers them in order
    assertThat(r.out()).isEqualTo("""
        PID  CID  REASON                                    BLOCKS     EVIDENCE                                  QUARANTINED
        7    1    apply failed: IO_ERROR: rocksdb write     3,9        /data/c1/quarantine/pid-7-1764000000000   2025-11-24T16:00:00Z
        12   1    scrub mismatch against the owner's di...  10 blocks  /data/c1/quarantine/pid-12-1764000061000  2025-11-24T16:01:01Z
        7    2    unrepairable CRC failure                  -          /data/c2/quarantine/pid-7-1764000005250   2025-11-24T16:00:05Z
        """);
    // every chunk was asked, once
    for (FakeChunk f : List.of(one, two, three)) {
      assertThat(f.calls).containsExactly(Envelope.BodyCase.LIST_QUARANTINE);
    }
  }

  @Test
  void lsJsonHasTheKeysScriptsRead() {
    Result r = cli("quarantine", "ls", "--json");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).isEmpty();
    List<Map<String, Object>> reports = json(r);
    assertThat(reports).hasSize(3);
    for (Map<String, Object> m : reports) {
      assertThat(List.copyOf(m.keySet())).containsExactly("pid", "cid", "reason", "blocks", "evidence", "epoch",
          "gen", "quarantined_at");
    }
    assertThat(reports.get(0)).containsEntry("pid", 7.0).containsEntry("cid", (double) cid1)
        .containsEntry("reason", "apply failed: IO_ERROR: rocksdb write").containsEntry("blocks", List.of(3.0, 9.0))
        .containsEntry("evidence", "/data/c1/quarantine/pid-7-" + T0).containsEntry("epoch", 4.0)
        .containsEntry("gen", 120.0).containsEntry("quarantined_at", "2025-11-24T16:00:00Z");
    assertThat(reports.get(1)).containsEntry("pid", 12.0)
        .containsEntry("reason", "scrub mismatch against the owner's digest at gen 88") // whole, not cut
        .containsEntry("quarantined_at", "2025-11-24T16:01:01Z");
    assertThat((List<?>) reports.get(1).get("blocks")).hasSize(10);
    assertThat(reports.get(2)).containsEntry("pid", 7.0).containsEntry("cid", (double) cid2)
        .containsEntry("blocks", List.of()).containsEntry("quarantined_at", "2025-11-24T16:00:05.250Z");
  }

  @Test
  void lsWithNothingQuarantinedIsAnEmptyTable() {
    one.reports.clear();
    two.reports.clear();
    Result r = cli("quarantine", "ls");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo(HEADER + "\n");
    Result json = cli("quarantine", "ls", "--json");
    assertThat(json.code()).isZero();
    assertThat(json.out()).isEqualTo("[]\n");
  }

  @Test
  void anUnreachableChunkIsWarnedAboutTheOthersAreListedAndTheExitCodeIsOne() throws IOException {
    String dead = deadAddress();
    int cid4 = register(dead);
    Result r = cli("quarantine", "ls");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.out()).isEqualTo(table(cid1, P7_ON_1, cid1, P12_ON_1, cid2, P7_ON_2));
    List<String> err = r.err().lines().toList();
    assertThat(err).hasSize(2);
    assertThat(err.get(0)).startsWith("warning: chunk cid=" + cid4 + " (" + dead)
        .contains("): UNAVAILABLE: cannot connect");
    assertThat(err.get(1)).isEqualTo("error: 1 of 4 chunks failed (cid " + cid4 + "); the list above is incomplete");

    Result json = cli("quarantine", "ls", "--json");
    assertThat(json.code()).isEqualTo(1);
    assertThat(json(json)).extracting(m -> m.get("pid")).containsExactly(7.0, 12.0, 7.0); // stdout stays JSON
    assertThat(json.err()).startsWith("warning: chunk cid=" + cid4 + " (" + dead);
  }

  @Test
  void chunksAreAskedInParallelEachWithADeadline() {
    one.hang = true;
    two.hang = true;
    long start = System.nanoTime();
    Result r = cli("quarantine", "ls");
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.out()).isEqualTo(HEADER + "\n");
    assertThat(r.err()).contains("warning: chunk cid=" + cid1 + " (" + one.address() + "): TIMEOUT")
        .contains("warning: chunk cid=" + cid2 + " (" + two.address() + "): TIMEOUT")
        .contains("error: 2 of 3 chunks failed (cids " + cid1 + ", " + cid2 + ")");
    assertThat(took).as("one 5 s deadline for both, not one after the other").isLessThan(Duration.ofSeconds(9));
  }

  @Test
  void rmByPidRemovesItOnEveryChunk() {
    Result r = cli("quarantine", "rm", "7");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(r.out()).isEqualTo(table(cid1, P7_ON_1, cid2, P7_ON_2));
    for (FakeChunk f : List.of(one, two, three)) {
      assertThat(f.removes).containsExactly(RemoveQuarantineRequest.newBuilder().setPid(7).build());
    }
    assertThat(one.reports).containsExactly(P12_ON_1);
    assertThat(two.reports).isEmpty();

    Result json = cli("quarantine", "rm", "12", "--json");
    assertThat(json.code()).as(json.err()).isZero();
    assertThat(json(json)).singleElement().satisfies(m -> assertThat(m).containsEntry("pid", 12.0)
        .containsEntry("cid", (double) cid1).containsEntry("evidence", P12_ON_1.getEvidence()));
    assertThat(cli("quarantine", "ls").out()).isEqualTo(HEADER + "\n");
  }

  @Test
  void rmWithCidAsksOnlyThatChunk() {
    Result r = cli("quarantine", "rm", "7", "--cid", Integer.toString(cid2));
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo(table(cid2, P7_ON_2));
    assertThat(one.removes).isEmpty();
    assertThat(three.removes).isEmpty();
    assertThat(one.reports).containsExactly(P7_ON_1, P12_ON_1);

    Result all = cli("quarantine", "rm", "--all", "--cid", Integer.toString(cid1), "--json");
    assertThat(all.code()).as(all.err()).isZero();
    assertThat(json(all)).extracting(m -> m.get("pid")).containsExactly(7.0, 12.0);
    assertThat(one.removes).containsExactly(RemoveQuarantineRequest.newBuilder().setAll(true).build());
    assertThat(three.removes).isEmpty();
    assertThat(one.reports).isEmpty();
  }

  @Test
  void rmAllRemovesEverything() {
    Result r = cli("quarantine", "rm", "--all");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo(table(cid1, P7_ON_1, cid1, P12_ON_1, cid2, P7_ON_2));
    for (FakeChunk f : List.of(one, two, three)) {
      assertThat(f.removes).containsExactly(RemoveQuarantineRequest.newBuilder().setAll(true).build());
      assertThat(f.reports).isEmpty();
    }
  }

  @Test
  void rmWithNothingMatchingIsAnError() {
    Result r = cli("quarantine", "rm", "5");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).isEqualTo("error: no quarantine evidence for pid=5\n");
    Result json = cli("quarantine", "rm", "5", "--json");
    assertThat(json.code()).isEqualTo(1);
    assertThat(json.out()).isEqualTo("[]\n");
    assertThat(json.err()).isEqualTo("error: no quarantine evidence for pid=5\n");
    Result onCid = cli("quarantine", "rm", "12", "--cid", Integer.toString(cid2));
    assertThat(onCid.code()).isEqualTo(1);
    assertThat(onCid.err()).isEqualTo("error: no quarantine evidence for pid=12 on cid " + cid2 + "\n");
    assertThat(one.reports).containsExactly(P7_ON_1, P12_ON_1);

    assertThat(cli("quarantine", "rm", "--all").code()).isZero();
    Result empty = cli("quarantine", "rm", "--all");
    assertThat(empty.code()).isEqualTo(1);
    assertThat(empty.err()).isEqualTo("error: no quarantine evidence on any chunk\n");
    Result emptyCid = cli("quarantine", "rm", "--all", "--cid", Integer.toString(cid3));
    assertThat(emptyCid.err()).isEqualTo("error: no quarantine evidence on cid " + cid3 + "\n");
  }

  @Test
  void rmReportsAFailedChunkAfterWhatTheOthersRemoved() throws IOException {
    two.failWith = new BasaltException(ErrorCode.IO_ERROR, "deleting /data/c2/quarantine/pid-7 failed");
    String dead = deadAddress();
    int cid4 = register(dead);
    Result r = cli("quarantine", "rm", "7");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.out()).isEqualTo(table(cid1, P7_ON_1));
    List<String> err = r.err().lines().toList();
    assertThat(err).hasSize(3);
    assertThat(err.get(0)).isEqualTo("warning: chunk cid=" + cid2 + " (" + two.address()
        + "): IO_ERROR: deleting /data/c2/quarantine/pid-7 failed");
    assertThat(err.get(1)).startsWith("warning: chunk cid=" + cid4 + " (" + dead).contains("UNAVAILABLE");
    assertThat(err.get(2)).isEqualTo("error: 2 of 4 chunks failed (cids " + cid2 + ", " + cid4
        + "); evidence there, if any, was not removed");

    // nothing removed where it answered, but a chunk failed: the failure is the error, not "nothing matched"
    Result again = cli("quarantine", "rm", "7");
    assertThat(again.code()).isEqualTo(1);
    assertThat(again.out()).isEmpty();
    assertThat(again.err()).contains("error: 2 of 4 chunks failed").doesNotContain("no quarantine evidence");
  }

  @Test
  void anUnknownCidIsAUsageError() {
    Result r = cli("quarantine", "rm", "7", "--cid", "99");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).startsWith("unknown cid 99 (meta knows cids " + cid1 + ", " + cid2 + ", " + cid3 + ")\n")
        .contains("Usage: basalt quarantine rm");
    assertThat(r.out()).isEmpty();
    for (FakeChunk f : List.of(one, two, three)) {
      assertThat(f.removes).isEmpty();
    }
  }
}
