package io.basalt.cli;

import io.basalt.cli.core.ClusterConnection;
import io.basalt.cli.core.GroupCommand;
import io.basalt.cli.output.TablePrinter;
import io.basalt.common.Units;
import io.basalt.proto.ChunkInfo;
import io.basalt.proto.Envelope;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;

/** {@code basalt chunk ls}: the chunk servers meta knows, with status and usage. */
@Command(name = "chunk", description = "Inspect chunk servers.",
    subcommands = {ChunkCommand.Ls.class})
public final class ChunkCommand extends GroupCommand {

  @Command(name = "ls", description = "List chunk servers.")
  static final class Ls extends ClusterCommand {
    @Override
    protected void run(ClusterConnection c) {
      List<ChunkInfo> chunks = c.listChunks();
      if (json) {
        printJson(chunks.stream().map(ChunkCommand::toJson).toList());
        return;
      }
      TablePrinter t = new TablePrinter("CID", "ADDRESS", "ZONE", "STATUS", "CAPACITY", "USED", "FULL", "REPLICAS",
          "ADMIN", "LAST_SEEN");
      for (ChunkInfo ch : chunks) {
        t.row(ch.getCid(), ch.getAddress(), emptyToNull(ch.getZone()), status(ch),
            Units.formatSize(ch.getCapacityBytes()), Units.formatSize(ch.getUsedBytes()), ch.getFull() ? "yes" : "no",
            ch.getReplicaCount(),
            emptyToNull(ch.getAdminAddress()),
            ch.getLastSeenMs() < 0 ? "never" : String.format(Locale.ROOT, "%.1fs ago",
                ch.getLastSeenMs() / 1000.0));
      }
      t.print(out());
    }
  }

  static Map<String, Object> toJson(ChunkInfo ch) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cid", ch.getCid());
    m.put("address", ch.getAddress());
    m.put("zone", ch.getZone());
    m.put("status", status(ch));
    m.put("capacity_bytes", ch.getCapacityBytes());
    m.put("used_bytes", ch.getUsedBytes());
    m.put("full", ch.getFull()); // disk full: no new replicas placed here (TESTPLAN F16)
    m.put("replica_count", ch.getReplicaCount());
    m.put("admin_address", emptyToNull(ch.getAdminAddress()));
    m.put("last_seen_ms", ch.getLastSeenMs());
    return m;
  }

  private static String status(ChunkInfo ch) {
    return switch (ch.getStatus()) {
      case CHUNK_STATUS_UNSPECIFIED -> "UNKNOWN";
      case UNRECOGNIZED -> "UNKNOWN(" + ch.getStatusValue() + ")";
      default -> ch.getStatus().name();
    };
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
