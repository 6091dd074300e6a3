package io.basalt.cli;

import io.basalt.cli.core.CliException;
import io.basalt.cli.core.ClusterConnection;
import io.basalt.cli.core.GroupCommand;
import io.basalt.cli.output.DurationFormat;
import io.basalt.cli.output.TablePrinter;
import io.basalt.common.Units;
import io.basalt.proto.Envelope;
import io.basalt.proto.GetScrubThrottleRequest;
import io.basalt.proto.ListScrubRequest;
import io.basalt.proto.ListScrubResponse;
import io.basalt.proto.ScrubInfo;
import io.basalt.proto.ScrubThrottle;
import io.basalt.proto.SetScrubThrottleRequest;
import io.basalt.proto.StartScrubRequest;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code basalt scrub ls|start|throttle} (DESIGN.md "Consistency check"): the meta leader compares every extent's
 * replicas at one generation, light (digests) every day and deep (every block read, every CRC checked) every week; a
 * replica that disagrees with the majority or fails a CRC is quarantined and replaced, and an extent whose replicas
 * disagree with no majority is marked SUSPECT (nothing removed, writes go on). {@code ls} shows each extent's last
 * scrub, {@code start} asks for one now, {@code throttle} shows or changes the per-chunk read rate.
 */
@Command(name = "scrub", description = "Show and start replica consistency checks; show or change the scrub "
    + "throttle.",
    subcommands = {ScrubCommand.Ls.class, ScrubCommand.Start.class, ScrubCommand.Throttle.class})
public final class ScrubCommand extends GroupCommand {
  static final long MIB = 1L << 20;
  /** Longest DETAIL cell of the table; longer ones are cut (--json has them whole). */
  static final int DETAIL_WIDTH = 40;
  /** How often {@code start --wait} asks meta. */
  static final Duration POLL = Duration.ofMillis(500);

  @Command(name = "ls", description = "List every extent (of VOLUME, or of every volume) with its last scrub and "
      + "its result: ok, mismatch, crc_error, pending (due or never scrubbed) or running. SUSPECT extents "
      + "(replicas disagree with no majority) are also named in a warning on stderr.")
  static final class Ls extends ClusterCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "VOLUME", description = "only this volume's extents")
    String volume;

    @Override
    protected void run(ClusterConnection c) {
      ListScrubResponse r = list(c, volume);
      if (json) {
        printJson(r.getExtentsList().stream().map(ScrubCommand::toJson).toList());
      } else {
        out().print(summary(r));
        out().print(table(r.getExtentsList()));
        out().flush();
      }
      warnSuspect(this, r.getExtentsList());
    }
  }

  @Command(name = "start", description = "Scrub the extents of VOLUME (or of every volume, --all) now. With --wait, "
      + "waits (up to --timeout) until every one of them was scrubbed, printing progress, then prints their results; "
      + "the exit code is then 1 when a scrub found a mismatch or a CRC error.")
  static final class Start extends ClusterCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "VOLUME", description = "the volume to scrub")
    String volume;

    @Option(names = "--all", description = "scrub every volume")
    boolean all;

    @Option(names = "--deep", description = "deep scrub: read every block of every replica and check its CRC")
    boolean deep;

    @Option(names = "--wait", description = "wait until the extents were scrubbed (up to --timeout)")
    boolean await;

    @Override
    protected void validate() {
      if (volume != null && all) {
        throw usage("give either VOLUME or --all, not both");
      }
      if (volume == null && !all) {
        throw usage("name the VOLUME to scrub, or --all to scrub every volume");
      }
    }

    @Override
    protected void run(ClusterConnection c) {
      StartScrubRequest.Builder req = StartScrubRequest.newBuilder().setDeep(deep);
      if (all) {
        req.setAll(true);
      } else {
        req.setVolume(volume);
      }
      // the extents to wait for: those meta knows now (all of them are marked due by the request)
      Set<Long> pids = new HashSet<>();
      if (await) {
        list(c, all ? null : volume).getExtentsList().forEach(i -> pids.add(i.getPid()));
      }
      int n = c.meta(Envelope.newBuilder().setStartScrub(req)).getStartScrubResponse().getExtents();
      String what = (deep ? "deep" : "light") + " scrub of " + n + " extent" + (n == 1 ? "" : "s") + " of "
          + (all ? "every volume" : "volume " + volume);
      if (!await) {
        if (json) {
          printJson(Map.of("extents", n));
        } else {
          out().println(what + " requested");
          out().flush();
        }
        return;
      }
      PrintWriter err = spec.commandLine().getErr();
      if (!json) {
        out().println(what + " requested; waiting");
        out().flush();
      }
      List<ScrubInfo> mine = waitFor(c, all ? null : volume, pids, clusterOptions.timeout(), err, json ? null : out());
      if (json) {
        printJson(mine.stream().map(ScrubCommand::toJson).toList());
      } else {
        out().print(table(mine));
        out().flush();
      }
      warnSuspect(this, mine);
      long bad = mine.stream().filter(i -> i.getResult().equals("mismatch") || i.getResult().equals("crc_error"))
          .count();
      if (bad > 0) {
        throw new CliException("scrub found " + bad + " extent" + (bad == 1 ? "" : "s") + " with a mismatch or a "
            + "CRC error (see above and the meta leader's log)");
      }
    }
  }

  @Command(name = "throttle", description = "Show the scrub throttle, or change it (persisted; applies from the "
      + "next scrub). Without arguments it only shows it.")
  static final class Throttle extends ClusterCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "BYTES_PER_SEC", converter = RecoveryCommand.Rate.class,
        description = "deep-scrub read rate per chunk, at least 1MiB (e.g. 50MiB, 1GiB, 200M/s)")
    Long bytesPerSec;

    @Option(names = "--per-chunk", paramLabel = "K", description = "scrubs a chunk takes part in at once (1..16)")
    Integer perChunk;

    @Override
    protected void validate() {
      if (bytesPerSec != null && bytesPerSec < MIB) {
        throw usage("BYTES_PER_SEC must be at least 1MiB (1048576 bytes/s), got " + bytesPerSec);
      }
      if (perChunk != null && (perChunk < 1 || perChunk > 16)) {
        throw usage("--per-chunk must be in 1..16, got " + perChunk);
      }
    }

    @Override
    protected void run(ClusterConnection c) {
      ScrubThrottle t;
      if (bytesPerSec == null && perChunk == null) {
        t = c.meta(Envelope.newBuilder().setGetScrubThrottle(GetScrubThrottleRequest.getDefaultInstance()))
            .getScrubThrottleResponse().getThrottle();
      } else {
        SetScrubThrottleRequest.Builder req = SetScrubThrottleRequest.newBuilder();
        if (bytesPerSec != null) req.setBytesPerSec(bytesPerSec);
        if (perChunk != null) req.setPerChunk(perChunk);
        t = c.meta(Envelope.newBuilder().setSetScrubThrottle(req)).getScrubThrottleResponse().getThrottle();
      }
      if (json) {
        printJson(toJson(t));
      } else {
        out().print(renderThrottle(t));
        out().flush();
      }
    }
  }

  static ListScrubResponse list(ClusterConnection c, String volume) {
    ListScrubRequest.Builder req = ListScrubRequest.newBuilder();
    if (volume != null) {
      req.setVolume(volume);
    }
    return c.meta(Envelope.newBuilder().setListScrub(req)).getListScrubResponse();
  }

  static boolean busy(ScrubInfo i) {
    return i.getResult().equals("pending") || i.getResult().equals("running");
  }

  /**
   * Polls ListScrub until no extent of {@code pids} is pending or running (or {@code budget} ran out: then an
   * error naming how many are left); a progress line on {@code progress} (null: none) whenever the count changed.
   */
  static List<ScrubInfo> waitFor(ClusterConnection c, String volume, Set<Long> pids, Duration budget,
      PrintWriter err, PrintWriter progress) {
    long deadline = System.nanoTime() + budget.toNanos();
    int lastLeft = -1;
    while (true) {
      List<ScrubInfo> mine = list(c, volume).getExtentsList().stream().filter(i -> pids.contains(i.getPid()))
          .toList();
      int left = (int) mine.stream().filter(ScrubCommand::busy).count();
      if (left == 0) {
        return mine;
      }
      if (left != lastLeft && progress != null) {
        long running = mine.stream().filter(i -> i.getResult().equals("running")).count();
        progress.println("scrubbed " + (mine.size() - left) + "/" + mine.size() + " extents (" + running
            + " running)");
        progress.flush();
        lastLeft = left;
      }
      if (System.nanoTime() - deadline >= 0) {
        throw new CliException("timed out after " + DurationFormat.human(budget.toMillis()) + ": " + left + " of "
            + mine.size() + " extents not scrubbed yet (an extent without a lease owner waits for one; raise "
            + "--timeout to wait longer)");
      }
      try {
        Thread.sleep(POLL.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CliException("interrupted while waiting for the scrub");
      }
    }
  }

  private static void warnSuspect(ClusterCommand cmd, List<ScrubInfo> extents) {
    PrintWriter err = cmd.spec.commandLine().getErr();
    for (ScrubInfo i : extents) {
      if (i.getSuspect()) {
        err.println(warning(i));
      }
    }
    err.flush();
  }

  /** The warning naming a SUSPECT extent. */
  static String warning(ScrubInfo i) {
    return "warning: extent " + i.getVolume() + "/" + i.getIndex() + " (pid " + i.getPid() + ") is SUSPECT: its "
        + "replicas disagree with no majority; nothing was removed and writes go on" + (i.getDetail().isEmpty()
        ? "" : " (" + i.getDetail() + ")");
  }

  static String summary(ListScrubResponse r) {
    return "suspect: " + r.getSuspect() + "  throttle: " + rate(r.getThrottle().getBytesPerSec()) + ", "
        + r.getThrottle().getPerChunk() + " per chunk\n";
  }

  /** The table {@code scrub ls} prints, rows in the order meta sent them (volume name, then index). */
  static String table(List<ScrubInfo> extents) {
    TablePrinter t = new TablePrinter("VOLUME", "INDEX", "PID", "LAST SCRUBBED", "RESULT", "DEEP", "SUSPECT",
        "DETAIL");
    for (ScrubInfo i : extents) {
      t.row(i.getVolume(), i.getIndex(), i.getPid(), i.getLastScrubbedMs() == 0 ? null
              : Instant.ofEpochMilli(i.getLastScrubbedMs()).truncatedTo(ChronoUnit.SECONDS).toString(),
          i.getResult(), i.getDeep() ? "yes" : null, i.getSuspect() ? "SUSPECT" : null, detailCell(i.getDetail()));
    }
    return t.render();
  }

  /** The detail on one line, cut to at most {@link #DETAIL_WIDTH} with "...". */
  static String detailCell(String detail) {
    String s = detail.strip().replaceAll("\\s+", " ");
    if (s.isEmpty()) {
      return null;
    }
    return s.length() <= DETAIL_WIDTH ? s : s.substring(0, DETAIL_WIDTH - 3).replaceAll("[\\s.]+$", "") + "...";
  }

  static String renderThrottle(ScrubThrottle t) {
    Map<String, Object> kv = new LinkedHashMap<>();
    kv.put("bytes per sec", rate(t.getBytesPerSec()) + " (" + t.getBytesPerSec() + ")");
    kv.put("per chunk", t.getPerChunk());
    return TablePrinter.renderKeyValues(kv);
  }

  /**
   * One extent of {@code scrub ls --json} (and {@code start --wait --json}): {@code volume}, {@code index},
   * {@code pid}, {@code last_scrubbed} (ISO-8601 UTC, null when never scrubbed), {@code result} (ok, mismatch,
   * crc_error, pending, running), then {@code suspect}, {@code deep}, {@code last_deep_scrubbed} and
   * {@code detail}. Scripts depend on these keys.
   */
  static Map<String, Object> toJson(ScrubInfo i) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("volume", i.getVolume());
    m.put("index", i.getIndex());
    m.put("pid", i.getPid());
    m.put("last_scrubbed", time(i.getLastScrubbedMs()));
    m.put("result", i.getResult());
    m.put("suspect", i.getSuspect());
    m.put("deep", i.getDeep());
    m.put("last_deep_scrubbed", time(i.getLastDeepScrubbedMs()));
    m.put("detail", i.getDetail().isEmpty() ? null : i.getDetail());
    return m;
  }

  static Map<String, Object> toJson(ScrubThrottle t) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("bytes_per_sec", t.getBytesPerSec());
    m.put("per_chunk", t.getPerChunk());
    return m;
  }

  private static String time(long ms) {
    return ms == 0 ? null : Instant.ofEpochMilli(ms).toString();
  }

  private static String rate(long bytesPerSec) {
    return Units.formatSize(bytesPerSec) + "/s";
  }
}
