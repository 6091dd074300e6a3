package io.basalt.cli;

import io.basalt.cli.core.CliException;
import io.basalt.cli.core.ClusterConnection;
import io.basalt.cli.core.GroupCommand;
import io.basalt.cli.output.TablePrinter;
import io.basalt.proto.ChunkInfo;
import io.basalt.proto.ChunkStatus;
import io.basalt.proto.Envelope;
import io.basalt.proto.ListQuarantineRequest;
import io.basalt.proto.QuarantineReport;
import io.basalt.proto.RemoveQuarantineRequest;
import io.basalt.rpc.BasaltException;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code basalt quarantine ls|rm} (DESIGN.md "Fault isolation"): the evidence chunk servers keep of the replicas they
 * quarantined (a replica whose state is in doubt is never served again; its RocksDB checkpoint, block files and a
 * report stay in a directory on the chunk's host until removed). Every chunk meta knows is asked directly, all at
 * once, each call with the connection's chunk deadline. A chunk that cannot be asked is named in a warning on
 * stderr, what the others answered is still printed, and the exit code is 1 ("error: ..."), as {@code cluster status}
 * does without a leader.
 */
@Command(name = "quarantine", description = "List and remove the evidence of quarantined replicas kept by chunk "
    + "servers.",
    subcommands = {QuarantineCommand.Ls.class, QuarantineCommand.Rm.class})
public final class QuarantineCommand extends GroupCommand {
  /** Longest REASON cell of the table; longer reasons are cut (--json has them whole). */
  static final int REASON_WIDTH = 40;
  /** Up to this many block indexes are listed in the BLOCKS cell; more are counted. */
  static final int LISTED_BLOCKS = 4;

  @Command(name = "ls", description = "List the quarantine reports of every chunk server: pid, cid of the chunk "
      + "keeping the evidence, reason, blocks involved, evidence directory (on the chunk's host) and when. "
      + "Chunks are asked directly and in parallel; one that does not answer is named in a warning, the others "
      + "are still listed, and the exit code is 1.")
  static final class Ls extends ClusterCommand {
    @Override
    protected void run(ClusterConnection c) {
      List<Answer> answers = askAll(c, c.listChunks(),
          () -> Envelope.newBuilder().setListQuarantine(ListQuarantineRequest.getDefaultInstance()),
          r -> r.getListQuarantineResponse().getReportsList());
      print(this, entries(answers));
      List<Answer> failed = failed(answers);
      if (!failed.isEmpty()) {
        warn(this, failed);
        throw new CliException(failedSummary(failed, answers.size()) + "; the list above is incomplete");
      }
    }
  }

  @Command(name = "rm", description = "Remove the evidence of a quarantined replica (PID) or of all of them "
      + "(--all), on every chunk server or only on --cid. Prints what was removed, as 'quarantine ls' does; the exit "
      + "code is 1 when nothing matched or a chunk failed (what the others removed is still printed).")
  static final class Rm extends ClusterCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "PID",
        description = "pid of the quarantined replica (as 'quarantine ls' shows it)")
    Long pid;

    @Option(names = "--all", description = "remove every report instead of one pid's")
    boolean all;

    @Option(names = "--cid", paramLabel = "CID", description = "only on this chunk (default: every chunk)")
    Integer cid;

    @Override
    protected void validate() {
      if (pid != null && all) {
        throw usage("give either PID or --all, not both");
      }
      if (pid == null && !all) {
        throw usage("name the PID whose evidence to remove, or --all to remove every report");
      }
      if (pid != null && pid <= 0) {
        throw usage("PID must be a positive number, not " + pid);
      }
      if (cid != null && cid <= 0) {
        throw usage("--cid must be a positive number, not " + cid);
      }
    }

    @Override
    protected void run(ClusterConnection c) {
      List<ChunkInfo> chunks = c.listChunks();
      if (cid != null) {
        List<ChunkInfo> one = chunks.stream().filter(ch -> ch.getCid() == cid).toList();
        if (one.isEmpty()) {
          throw usage("unknown cid " + cid + " (" + (chunks.isEmpty() ? "meta knows no chunk"
              : "meta knows cids " + chunks.stream().map(ch -> Integer.toString(ch.getCid()))
                  .collect(Collectors.joining(", "))) + ")");
        }
        chunks = one;
      }
      RemoveQuarantineRequest req = all ? RemoveQuarantineRequest.newBuilder().setAll(true).build()
          : RemoveQuarantineRequest.newBuilder().setPid(pid).build();
      List<Answer> answers = askAll(c, chunks, () -> Envelope.newBuilder().setRemoveQuarantine(req),
          r -> r.getRemoveQuarantineResponse().getRemovedList());
      List<Entry> removed = entries(answers);
      if (!removed.isEmpty() || json) {
        print(this, removed); // --json: stdout is always one document, [] when nothing was removed
      }
      List<Answer> failed = failed(answers);
      if (!failed.isEmpty()) {
        warn(this, failed);
        throw new CliException(failedSummary(failed, answers.size()) + "; evidence there, if any, was not removed");
      }
      if (removed.isEmpty()) {
        throw new CliException(nothingMatched(all ? null : pid, cid));
      }
    }
  }

  /** One chunk's answer: the reports it sent, or why it sent none ({@code error} non-null). */
  record Answer(ChunkInfo chunk, List<QuarantineReport> reports, String error) {}

  /** A report as printed: {@code cid} is the chunk that keeps the evidence (and answers {@code rm --cid}). */
  record Entry(int cid, QuarantineReport report) {}

  /**
   * Sends {@code request} to every chunk at once (each call with its deadline) and waits for all of them; the
   * answers come back in the order of {@code chunks}.
   */
  static List<Answer> askAll(ClusterConnection c, List<ChunkInfo> chunks, Supplier<Envelope.Builder> request,
      Function<Envelope, List<QuarantineReport>> reports) {
    List<CompletableFuture<Answer>> pending = new ArrayList<>(chunks.size());
    for (ChunkInfo ch : chunks) {
      pending.add(ask(c, ch, request.get(), reports));
    }
    return pending.stream().map(CompletableFuture::join).toList();
  }

  private static CompletableFuture<Answer> ask(ClusterConnection c, ChunkInfo ch, Envelope.Builder request,
      Function<Envelope, List<QuarantineReport>> reports) {
    if (ch.getAddress().isEmpty()) {
      return CompletableFuture.completedFuture(new Answer(ch, List.of(), "no address known"));
    }
    try {
      return c.chunk(ch.getAddress(), request)
          .thenApply(r -> new Answer(ch, reports.apply(r), null))
          .exceptionally(t -> new Answer(ch, List.of(), BasaltException.of(t).getMessage()));
    } catch (RuntimeException t) {
      return CompletableFuture.completedFuture(new Answer(ch, List.of(), BasaltException.of(t).getMessage()));
    }
  }

  /** Every report of the chunks that answered, by chunk (in cid order), each chunk's in the order it sent them. */
  static List<Entry> entries(List<Answer> answers) {
    List<Entry> out = new ArrayList<>();
    for (Answer a : answers) {
      for (QuarantineReport r : a.reports()) {
        out.add(new Entry(a.chunk().getCid(), r));
      }
    }
    return out;
  }

  static List<Answer> failed(List<Answer> answers) {
    return answers.stream().filter(a -> a.error() != null).toList();
  }

  /** The warning naming a chunk that could not be asked: "chunk cid=2 (127.0.0.1:9002): UNAVAILABLE: ...". */
  static String warning(Answer a) {
    ChunkInfo ch = a.chunk();
    String where = ch.getAddress().isEmpty() ? "no address" : ch.getAddress();
    if (ch.getStatus() != ChunkStatus.HEALTHY && ch.getStatus() != ChunkStatus.CHUNK_STATUS_UNSPECIFIED) {
      where += ", " + (ch.getStatus() == ChunkStatus.UNRECOGNIZED ? "status " + ch.getStatusValue()
          : ch.getStatus().name()) + " in meta";
    }
    return "warning: chunk cid=" + ch.getCid() + " (" + where + "): " + a.error();
  }

  /** "1 of 3 chunks failed (cid 2)", "2 of 3 chunks failed (cids 2, 3)". */
  static String failedSummary(List<Answer> failed, int asked) {
    String cids = failed.stream().map(a -> Integer.toString(a.chunk().getCid())).collect(Collectors.joining(", "));
    return failed.size() + " of " + asked + " chunk" + (asked == 1 ? "" : "s") + " failed (cid"
        + (failed.size() == 1 ? " " : "s ") + cids + ")";
  }

  /** "no quarantine evidence for pid=5", "... on cid 2"; {@code pid} null: --all. */
  static String nothingMatched(Long pid, Integer cid) {
    String where = cid == null ? (pid == null ? " on any chunk" : "") : " on cid " + cid;
    return "no quarantine evidence" + (pid == null ? "" : " for pid=" + pid) + where;
  }

  private static void warn(ClusterCommand cmd, List<Answer> failed) {
    PrintWriter err = cmd.spec.commandLine().getErr();
    failed.forEach(a -> err.println(warning(a)));
    err.flush();
  }

  private static void print(ClusterCommand cmd, List<Entry> entries) {
    if (cmd.json) {
      cmd.printJson(entries.stream().map(QuarantineCommand::toJson).toList());
    } else {
      cmd.out().print(table(entries));
      cmd.out().flush();
    }
  }

  /** The table {@code quarantine ls} (and {@code rm}) prints, rows in the order given. */
  static String table(List<Entry> entries) {
    TablePrinter t = new TablePrinter("PID", "CID", "REASON", "BLOCKS", "EVIDENCE", "QUARANTINED");
    for (Entry e : entries) {
      QuarantineReport r = e.report();
      t.row(r.getPid(), e.cid(), reasonCell(r.getReason()), blocksCell(r.getBlocksList()),
          r.getEvidence().isEmpty() ? null : r.getEvidence(),
          r.getQuarantinedAtMs() == 0 ? null : Instant.ofEpochMilli(r.getQuarantinedAtMs())
              .truncatedTo(ChronoUnit.SECONDS).toString());
    }
    return t.render();
  }

  /** The reason on one line (runs of whitespace as one space), cut to at most {@link #REASON_WIDTH} with "...". */
  static String reasonCell(String reason) {
    String s = reason.strip().replaceAll("\\s+", " ");
    if (s.isEmpty()) {
      return null;
    }
    // cut without leaving a space or a run of dots before the "..."
    return s.length() <= REASON_WIDTH ? s : s.substring(0, REASON_WIDTH - 3).replaceAll("[\\s.]+$", "") + "...";
  }

  /** "-" (none), "3,7,12" (up to {@link #LISTED_BLOCKS}), else "17 blocks". */
  static String blocksCell(List<Long> blocks) {
    if (blocks.isEmpty()) {
      return null;
    }
    if (blocks.size() <= LISTED_BLOCKS) {
      return blocks.stream().map(Long::toUnsignedString).collect(Collectors.joining(","));
    }
    return blocks.size() + " blocks";
  }

  /**
   * One report of {@code quarantine ls|rm --json}: {@code pid}, {@code cid}, {@code reason}, {@code blocks} (block
   * indexes), {@code evidence} (the directory on the chunk's host), then {@code epoch}, {@code gen} and
   * {@code quarantined_at} (ISO-8601 UTC, null when the report has no time). Scripts depend on these keys.
   */
  static Map<String, Object> toJson(Entry e) {
    QuarantineReport r = e.report();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("pid", r.getPid());
    m.put("cid", e.cid());
    m.put("reason", r.getReason());
    m.put("blocks", r.getBlocksList());
    m.put("evidence", r.getEvidence());
    m.put("epoch", r.getEpoch());
    m.put("gen", r.getGen());
    m.put("quarantined_at", r.getQuarantinedAtMs() == 0 ? null
        : Instant.ofEpochMilli(r.getQuarantinedAtMs()).toString());
    return m;
  }
}
