package io.basalt.cli;

import io.basalt.cli.core.ClusterConnection;
import io.basalt.cli.core.GroupCommand;
import io.basalt.cli.output.DurationFormat;
import io.basalt.cli.output.TablePrinter;
import io.basalt.common.Units;
import io.basalt.proto.Envelope;
import io.basalt.proto.ListRecoveriesRequest;
import io.basalt.proto.ListRecoveriesResponse;
import io.basalt.proto.RecoveryInfo;
import io.basalt.proto.RecoveryThrottle;
import io.basalt.proto.SetRecoveryThrottleRequest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code basalt recovery ls|throttle} (DESIGN.md "Recovery"): the re-replication the meta leader runs (running
 * recoveries with their progress, then the queued extents, most urgent first) and its run-time throttle.
 */
@Command(name = "recovery", description = "Show recovery progress; show or change the recovery throttle.",
    subcommands = {RecoveryCommand.Ls.class, RecoveryCommand.Throttle.class})
public final class RecoveryCommand extends GroupCommand {
  static final long MIB = 1L << 20;

  @Command(name = "ls", description = "List running recoveries (source -> target, progress, rate, ETA) and the "
      + "degraded extents waiting for one, most urgent (fewest live replicas) first.")
  static final class Ls extends ClusterCommand {
    @Override
    protected void run(ClusterConnection c) {
      ListRecoveriesResponse r = c.meta(Envelope.newBuilder()
          .setListRecoveries(ListRecoveriesRequest.getDefaultInstance())).getListRecoveriesResponse();
      if (json) {
        printJson(toJson(r));
      } else {
        out().print(render(r));
        out().flush();
      }
    }
  }

  @Command(name = "throttle", description = "Show the recovery throttle, or change it (persisted; applies to running "
      + "recoveries at the targets' next keepalive). Without options it only shows it.")
  static final class Throttle extends ClusterCommand {
    @Option(names = "--bytes-per-sec", paramLabel = "RATE", converter = Rate.class,
        description = "copy rate per target chunk, at least 1MiB (e.g. 50MiB, 1GiB, 200M/s)")
    Long bytesPerSec;

    @Option(names = "--per-chunk", paramLabel = "K",
        description = "recoveries a chunk takes part in at once, as target or source (1..64)")
    Integer perChunk;

    @Override
    protected void validate() {
      if (bytesPerSec != null && bytesPerSec < MIB) {
        throw usage("--bytes-per-sec must be at least 1MiB (1048576 bytes/s), got " + bytesPerSec);
      }
      if (perChunk != null && (perChunk < 1 || perChunk > 64)) {
        throw usage("--per-chunk must be in 1..64, got " + perChunk);
      }
    }

    @Override
    protected void run(ClusterConnection c) {
      RecoveryThrottle t;
      if (bytesPerSec == null && perChunk == null) {
        t = c.meta(Envelope.newBuilder().setListRecoveries(ListRecoveriesRequest.getDefaultInstance()))
            .getListRecoveriesResponse().getThrottle();
      } else {
        SetRecoveryThrottleRequest.Builder req = SetRecoveryThrottleRequest.newBuilder();
        if (bytesPerSec != null) req.setBytesPerSec(bytesPerSec);
        if (perChunk != null) req.setPerChunk(perChunk);
        t = c.meta(Envelope.newBuilder().setSetRecoveryThrottle(req)).getSetRecoveryThrottleResponse().getThrottle();
      }
      if (json) {
        printJson(toJson(t));
      } else {
        out().print(renderThrottle(t));
        out().flush();
      }
    }
  }

  /** "50MiB", "1G", "200M/s", "1048576": bytes per second. */
  static final class Rate implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      String v = value.trim();
      if (v.toLowerCase(Locale.ROOT).endsWith("/s")) {
        v = v.substring(0, v.length() - 2);
      }
      try {
        return Units.parseSize(v);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException("bad rate '" + value + "' (expected e.g. 50MiB, 1GiB, 200M/s)");
      }
    }
  }

  /** The summary line, then one row per recovery (running first, then queued, as meta orders them). */
  static String render(ListRecoveriesResponse r) {
    String summary = "degraded: " + r.getDegraded() + "  recovering: " + r.getRecovering() + "  throttle: "
        + rate(r.getThrottle().getBytesPerSec()) + ", " + r.getThrottle().getPerChunk() + " per chunk\n";
    TablePrinter t = new TablePrinter("PID", "VOLUME", "INDEX", "SOURCE->TARGET", "DONE/TOTAL", "RATE", "ETA",
        "STATE", "LIVE", "RUNNING");
    for (RecoveryInfo i : r.getRecoveriesList()) {
      boolean running = i.getTargetCid() != 0;
      t.row(i.getPid(), i.getVolume().isEmpty() ? null : i.getVolume(), i.getIndex(),
          cid(i.getSourceCid()) + "->" + cid(i.getTargetCid()),
          running ? Units.formatSize(i.getBytesDone()) + "/" + Units.formatSize(i.getBytesTotal()) : null,
          running && i.getBytesPerSec() > 0 ? rate(i.getBytesPerSec()) : null,
          i.getEtaMs() >= 0 ? DurationFormat.human(i.getEtaMs()) : null, i.getState(),
          i.getLiveReplicas() + "/" + i.getExpectedReplicas(),
          i.getRunningMs() >= 0 && running ? DurationFormat.human(i.getRunningMs()) : null);
    }
    return summary + t.render();
  }

  static String renderThrottle(RecoveryThrottle t) {
    Map<String, Object> kv = new LinkedHashMap<>();
    kv.put("bytes per sec", rate(t.getBytesPerSec()) + " (" + t.getBytesPerSec() + ")");
    kv.put("per chunk", t.getPerChunk());
    return TablePrinter.renderKeyValues(kv);
  }

  static Map<String, Object> toJson(ListRecoveriesResponse r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("degraded", r.getDegraded());
    m.put("recovering", r.getRecovering());
    m.put("throttle", toJson(r.getThrottle()));
    List<Map<String, Object>> rows = r.getRecoveriesList().stream().map(RecoveryCommand::toJson).toList();
    m.put("recoveries", rows);
    return m;
  }

  static Map<String, Object> toJson(RecoveryInfo i) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("pid", i.getPid());
    m.put("vid", i.getVid());
    m.put("volume", i.getVolume().isEmpty() ? null : i.getVolume());
    m.put("index", i.getIndex());
    m.put("source_cid", i.getSourceCid() == 0 ? null : i.getSourceCid());
    m.put("target_cid", i.getTargetCid() == 0 ? null : i.getTargetCid());
    m.put("bytes_done", i.getBytesDone());
    m.put("bytes_total", i.getBytesTotal());
    m.put("bytes_per_sec", i.getBytesPerSec());
    m.put("eta_ms", i.getEtaMs() < 0 ? null : i.getEtaMs());
    m.put("state", i.getState());
    m.put("live_replicas", i.getLiveReplicas());
    m.put("expected_replicas", i.getExpectedReplicas());
    m.put("running_ms", i.getRunningMs() < 0 ? null : i.getRunningMs());
    return m;
  }

  static Map<String, Object> toJson(RecoveryThrottle t) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("bytes_per_sec", t.getBytesPerSec());
    m.put("per_chunk", t.getPerChunk());
    return m;
  }

  private static String rate(long bytesPerSec) {
    return Units.formatSize(bytesPerSec) + "/s";
  }

  private static String cid(int cid) {
    return cid == 0 ? "-" : Integer.toString(cid);
  }
}
