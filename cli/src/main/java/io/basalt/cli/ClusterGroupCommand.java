package io.basalt.cli;

import io.basalt.cli.core.ClusterConnection;
import io.basalt.cli.core.GroupCommand;
import io.basalt.cli.output.DurationFormat;
import io.basalt.cli.output.TablePrinter;
import io.basalt.cli.status.Membership;
import io.basalt.proto.ClusterStatusRequest;
import io.basalt.proto.ClusterStatusResponse;
import io.basalt.proto.ConfirmExpiryRequest;
import io.basalt.proto.Envelope;
import io.basalt.rpc.BasaltException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;

/**
 * {@code basalt cluster status|confirm-expiry}: the meta leader's view of the whole cluster, and the operator's way
 * out of cluster jeopardy (DESIGN.md "Sessions and leases", mass-expiry guard). Not to be confused with
 * {@link ClusterCommand}, the base of every command that talks to a cluster.
 */
@Command(name = "cluster", description = "Show the cluster's health; confirm a mass expiry (leave jeopardy).",
    subcommands = {ClusterGroupCommand.Status.class, ClusterGroupCommand.ConfirmExpiry.class})
public final class ClusterGroupCommand extends GroupCommand {
  static final String CONFIRM_HINT = "run 'basalt cluster confirm-expiry' if those chunks are really gone";

  @Command(name = "status", description = "Show the meta leader, chunk, session and extent health, cluster "
      + "jeopardy (a mass session expiry: replicas are kept until the chunks return or an operator confirms), and "
      + "every meta server and ZooKeeper member with its state. Jeopardy is printed loudly but the exit code stays "
      + "0; without a meta leader the members are still printed, and the exit code is 1.")
  static final class Status extends ClusterCommand {
    @Override
    protected void run(ClusterConnection c) {
      ClusterStatusResponse s = null;
      BasaltException noLeader = null;
      try {
        s = status(c);
      } catch (BasaltException e) {
        noLeader = e;
      }
      // asked after the leader answered (or gave up), so the members agree with what the leader said
      Membership members = Membership.probe(c.zk(), c.cluster(), PROBE_DEADLINE);
      if (json) {
        printJson(toJson(s, members));
        if (s != null && s.getJeopardy()) {
          PrintWriter err = spec.commandLine().getErr();
          err.println(jeopardyLine(s)); // stdout stays JSON; the alarm still reaches a terminal
          err.flush();
        }
      } else {
        out().print(render(s, members));
        out().flush();
      }
      if (noLeader != null) {
        throw noLeader; // exit 1 as before when no leader answers; what could be seen is printed above
      }
    }
  }

  @Command(name = "confirm-expiry", description = "Confirm that the chunks whose sessions expired in a mass expiry "
      + "are really gone: the cluster leaves jeopardy and their replicas are removed (recovery re-replicates their "
      + "extents). Does nothing when the cluster is not in jeopardy.")
  static final class ConfirmExpiry extends ClusterCommand {
    @Override
    protected void run(ClusterConnection c) {
      ClusterStatusResponse before = status(c);
      Integer chunks = null;
      if (before.getJeopardy()) {
        chunks = c.meta(Envelope.newBuilder().setConfirmExpiry(ConfirmExpiryRequest.getDefaultInstance()))
            .getConfirmExpiryResponse().getChunks();
      }
      if (json) {
        printJson(confirmJson(before.getJeopardy(), chunks));
        return;
      }
      out().println(confirmMessage(chunks));
      out().flush();
    }
  }

  static ClusterStatusResponse status(ClusterConnection c) {
    return c.meta(Envelope.newBuilder().setClusterStatus(ClusterStatusRequest.getDefaultInstance()))
        .getClusterStatusResponse();
  }

  /** {@code confirm-expiry --json}: {@code chunks} is null when the cluster was not in jeopardy. */
  static Map<String, Object> confirmJson(boolean jeopardy, Integer chunks) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("jeopardy", jeopardy);
    m.put("confirmed", chunks != null);
    m.put("chunks", chunks == null ? 0 : chunks);
    return m;
  }

  /** What {@code confirm-expiry} says: {@code chunks} is null when the cluster was not in jeopardy. */
  static String confirmMessage(Integer chunks) {
    if (chunks == null) {
      return "not in jeopardy: nothing to confirm";
    }
    if (chunks == 0) {
      return "left jeopardy: no expired chunk was still held (they returned), so no replica is removed";
    }
    return "left jeopardy: " + chunks + " chunk" + (chunks == 1 ? "" : "s") + " will lose " + (chunks == 1 ? "its"
        : "their") + " replicas; the affected extents turn DEGRADED and wait for recovery";
  }

  /** The loud line {@code cluster status} prints first while the cluster is in jeopardy. */
  static String jeopardyLine(ClusterStatusResponse s) {
    return "JEOPARDY: " + (s.getJeopardyReason().isEmpty() ? "mass session expiry" : s.getJeopardyReason())
        + "; held expiries: " + s.getHeldExpiries() + "; " + CONFIRM_HINT;
  }

  /** How long each meta server and ZooKeeper member may take to say what it is. */
  static final Duration PROBE_DEADLINE = Duration.ofSeconds(2);

  /**
   * The text {@code cluster status} prints: the leader's view ({@link #render(ClusterStatusResponse)}, or only
   * the published leader and the highest meta epoch when no leader answered), then the META and ZOOKEEPER tables.
   */
  static String render(ClusterStatusResponse s, Membership m) {
    String head;
    if (s != null) {
      head = render(s);
    } else {
      Map<String, Object> kv = new LinkedHashMap<>();
      kv.put("leader", m.active() == null ? "none answered" : m.active() + " (published, did not answer)");
      kv.put("meta epoch", m.highestEpoch());
      head = TablePrinter.renderKeyValues(kv);
    }
    return head + "\n" + m.render();
  }

  /**
   * {@code cluster status --json}: every key of {@link #toJson(ClusterStatusResponse)} (null when no leader
   * answered), {@code leader} the published leader (null when none), {@code meta_epoch} the leader's epoch (else
   * the highest a meta server reports, 0 when none leads), then {@code metas} and {@code zookeepers}.
   */
  static Map<String, Object> toJson(ClusterStatusResponse s, Membership m) {
    Map<String, Object> out;
    if (s != null) {
      out = toJson(s);
    } else {
      out = new LinkedHashMap<>();
      for (String k : toJson(ClusterStatusResponse.getDefaultInstance()).keySet()) {
        out.put(k, null);
      }
      out.put("leader", m.active());
      out.put("meta_epoch", m.highestEpoch());
    }
    out.put("metas", m.metasJson());
    out.put("zookeepers", m.zookeepersJson());
    return out;
  }

  /** The text {@code cluster status} prints: the jeopardy line (if any), then aligned "key: value" lines. */
  static String render(ClusterStatusResponse s) {
    Map<String, Object> kv = new LinkedHashMap<>();
    kv.put("leader", s.getLeader().isEmpty() ? null : s.getLeader());
    kv.put("meta epoch", s.getMetaEpoch());
    kv.put("jeopardy", s.getJeopardy() ? "YES for " + DurationFormat.human(s.getJeopardyForMs())
        + " (held expiries: " + s.getHeldExpiries() + ")" : "no");
    kv.put("chunks healthy", s.getChunksHealthy() + "/" + s.getChunks());
    kv.put("sessions alive", s.getSessionsAlive());
    kv.put("extents", s.getExtents() + " (" + s.getExtentsDegraded() + " degraded, " + s.getExtentsRecovering()
        + " recovering)");
    kv.put("grace remaining", s.getGraceRemainingMs() > 0 ? DurationFormat.human(s.getGraceRemainingMs())
        : "none");
    kv.put("pauses compensated", s.getPausesCompensated());
    String body = TablePrinter.renderKeyValues(kv);
    return s.getJeopardy() ? jeopardyLine(s) + "\n" + body : body;
  }

  static Map<String, Object> toJson(ClusterStatusResponse s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("leader", s.getLeader().isEmpty() ? null : s.getLeader());
    m.put("meta_epoch", s.getMetaEpoch());
    m.put("jeopardy", s.getJeopardy());
    m.put("jeopardy_reason", s.getJeopardyReason().isEmpty() ? null : s.getJeopardyReason());
    m.put("jeopardy_for_ms", s.getJeopardyForMs());
    m.put("held_expiries", s.getHeldExpiries());
    m.put("chunks", s.getChunks());
    m.put("chunks_healthy", s.getChunksHealthy());
    m.put("sessions_alive", s.getSessionsAlive());
    m.put("extents", s.getExtents());
    m.put("extents_degraded", s.getExtentsDegraded());
    m.put("extents_recovering", s.getExtentsRecovering());
    m.put("grace_remaining_ms", s.getGraceRemainingMs());
    m.put("pauses_compensated", s.getPausesCompensated());
    return m;
  }
}
