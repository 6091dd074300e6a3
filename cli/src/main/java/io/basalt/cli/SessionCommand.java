package io.basalt.cli;

import io.basalt.cli.core.ClusterConnection;
import io.basalt.cli.core.GroupCommand;
import io.basalt.cli.output.DurationFormat;
import io.basalt.cli.output.TablePrinter;
import io.basalt.proto.Envelope;
import io.basalt.proto.ListSessionsRequest;
import io.basalt.proto.SessionInfo;
import io.basalt.proto.SessionState;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;

/**
 * {@code basalt session ls}: the sessions the meta leader knows (DESIGN.md "Sessions and leases"): every chunk's and
 * client's live session and the recently ended ones, with the leases each holds and how long its lease has left.
 */
@Command(name = "session", description = "Inspect the sessions of chunk servers and clients with the meta leader.",
    subcommands = {SessionCommand.Ls.class})
public final class SessionCommand extends GroupCommand {

  @Command(name = "ls", description = "List sessions: live ones first, then those that ended recently "
      + "(expired or superseded by a reconnect).")
  static final class Ls extends ClusterCommand {
    @Override
    protected void run(ClusterConnection c) {
      List<SessionInfo> sessions = sorted(c.meta(Envelope.newBuilder()
          .setListSessions(ListSessionsRequest.getDefaultInstance())).getListSessionsResponse().getSessionsList());
      if (json) {
        printJson(sessions.stream().map(SessionCommand::toJson).toList());
      } else {
        out().print(table(sessions));
        out().flush();
      }
    }
  }

  /** Live sessions first, then by cid (clients, cid 0, before chunks), group, and newest epoch first. */
  static List<SessionInfo> sorted(List<SessionInfo> sessions) {
    return sessions.stream()
        .sorted(Comparator.comparing((SessionInfo s) -> !alive(s))
            .thenComparingInt(SessionInfo::getCid)
            .thenComparing(SessionInfo::getGroupValue)
            .thenComparing(Comparator.comparingLong(SessionInfo::getEpoch).reversed())
            .thenComparing(SessionInfo::getUuid))
        .toList();
  }

  /** The table {@code session ls} prints, rows in the order given. */
  static String table(List<SessionInfo> sessions) {
    TablePrinter t = new TablePrinter("UUID", "EPOCH", "GROUP", "CID", "NAME", "LEASES", "LEASE_REMAINING",
        "STATE");
    for (SessionInfo s : sessions) {
      t.row(s.getUuid(), s.getEpoch(), group(s), s.getCid() == 0 ? null : s.getCid(), emptyToNull(s.getName()),
          s.getLeases(), leaseRemaining(s), state(s));
    }
    return t.render();
  }

  static Map<String, Object> toJson(SessionInfo s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("uuid", s.getUuid());
    m.put("epoch", s.getEpoch());
    m.put("group", group(s));
    m.put("cid", s.getCid() == 0 ? null : s.getCid());
    m.put("name", emptyToNull(s.getName()));
    m.put("leases", s.getLeases());
    m.put("lease_remaining_ms", s.getLeaseRemainingMs());
    m.put("state", alive(s) ? "alive" : endReason(s));
    m.put("ended_ago_ms", alive(s) ? null : s.getEndedAgoMs());
    return m;
  }

  private static boolean alive(SessionInfo s) {
    return s.getState() == SessionState.SESSION_ALIVE;
  }

  /** "850ms", "9.2s"; "expired" once the lease ran out; "-" for an ended session whose lease time is left over. */
  private static String leaseRemaining(SessionInfo s) {
    if (s.getLeaseRemainingMs() < 0) {
      return "expired";
    }
    return alive(s) ? DurationFormat.human(s.getLeaseRemainingMs()) : null;
  }

  /** "alive", or why and how long ago it ended: "expired 3.2s ago", "superseded 850ms ago". */
  private static String state(SessionInfo s) {
    if (alive(s)) {
      return "alive";
    }
    String reason = endReason(s);
    return reason.equals("unknown") ? reason : reason + " " + DurationFormat.human(s.getEndedAgoMs()) + " ago";
  }

  /** Why an ended session ended ("expired", "superseded"); "unknown" for a state this CLI does not know. */
  private static String endReason(SessionInfo s) {
    if (s.getState() != SessionState.SESSION_GONE) {
      return "unknown";
    }
    return s.getEndReason().isEmpty() ? "gone" : s.getEndReason().toLowerCase(Locale.ROOT);
  }

  private static String group(SessionInfo s) {
    return switch (s.getGroup()) {
      case CHUNK -> "chunk";
      case CLIENT -> "client";
      case SESSION_GROUP_UNSPECIFIED -> null;
      case UNRECOGNIZED -> "unknown(" + s.getGroupValue() + ")";
    };
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
