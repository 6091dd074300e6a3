package io.basalt.cli;

import io.basalt.cli.core.CliException;
import io.basalt.cli.core.ClusterConnection;
import io.basalt.cli.core.GroupCommand;
import io.basalt.cli.output.TablePrinter;
import io.basalt.proto.ChunkInfo;
import io.basalt.proto.Envelope;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.GetExtentsRequest;
import io.basalt.proto.GetExtentsResponse;
import io.basalt.proto.ReplicaState;
import io.basalt.proto.ReplicaStatusRequest;
import io.basalt.proto.ReplicaStatusResponse;
import io.basalt.rpc.BasaltException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code basalt extent show VOLUME [INDEX]}: the allocated extents of a volume as meta sees them (pid, replicas,
 * epoch, lease owner and the session epoch it holds the lease under) plus each replica's generation, asked of every replica's chunk server directly, so a replica
 * that lags or diverges shows.
 */
@Command(name = "extent", description = "Inspect volume extents and their replicas.",
    subcommands = {ExtentCommand.Show.class})
public final class ExtentCommand extends GroupCommand {
  static final int PAGE = 1000;

  @Command(name = "show", 
      description = "Show a volume's allocated extents (or one of them) with each replica's generation.")
  static final class Show extends ClusterCommand {
    @Parameters(index = "0", paramLabel = "VOLUME")
    String volume;

    @Parameters(index = "1", arity = "0..1", paramLabel = "INDEX", description = "extent index (default: all)")
    Integer index;

    @Override
    protected void validate() {
      if (index != null && index < 0) {
        throw usage("INDEX must be 0 or more, not " + index);
      }
    }

    @Override
    protected void run(ClusterConnection c) {
      List<ExtentInfo> extents = fetch(c);
      Map<Long, Map<Integer, CompletableFuture<ReplicaView>>> views = askReplicas(c, extents);
      if (json) {
        List<Object> out = new ArrayList<>();
        for (ExtentInfo e : extents) {
          out.add(toJson(e, views.get(e.getPid())));
        }
        printJson(out);
        return;
      }
      if (extents.isEmpty()) {
        out().println(index == null ? "volume " + volume + " has no allocated extents"
            : "extent " + index + " of volume " + volume + " is not allocated (it reads as zeros)");
        out().flush();
        return;
      }
      TablePrinter t = new TablePrinter("INDEX", "PID", "EPOCH", "OWNER", "OWNER_SESSION", "STATE", "REPLICAS",
          "GENERATIONS");
      List<String> problems = new ArrayList<>();
      for (ExtentInfo e : extents) {
        StringJoiner gens = new StringJoiner(" ");
        views.get(e.getPid()).forEach((cid, f) -> {
          ReplicaView v = f.join();
          gens.add(cid + "=" + v.shortForm());
          if (v.error() != null) {
            problems.add("pid " + e.getPid() + " cid " + cid + ": " + v.error());
          }
        });
        t.row(e.getIndex(), e.getPid(), e.getEpoch(), e.getOwnerCid() == 0 ? null : e.getOwnerCid(),
            e.getOwnerCid() == 0 || e.getOwnerSession() == 0 ? null : e.getOwnerSession(), state(e),
            e.getReplicasList().stream().map(String::valueOf).collect(Collectors.joining(",")), gens.toString());
      }
      t.print(out());
      problems.forEach(p -> spec.commandLine().getErr().println("warning: " + p));
      spec.commandLine().getErr().flush();
    }

    private List<ExtentInfo> fetch(ClusterConnection c) {
      if (index != null) {
        GetExtentsResponse r = getExtents(c, index, 1);
        long count = extentCount(r);
        if (r.hasVolume() && index >= count) {
          throw new CliException("volume " + volume + " has " + count + " extents (0.." + (count - 1)
              + "); there is no extent " + index);
        }
        return r.getExtentsList().stream().filter(e -> e.getIndex() == index).toList();
      }
      List<ExtentInfo> all = new ArrayList<>();
      int first = 0;
      while (true) {
        List<ExtentInfo> page = getExtents(c, first, PAGE).getExtentsList();
        for (ExtentInfo e : page) {
          if (e.getIndex() >= first) {
            all.add(e);
          }
        }
        if (page.size() < PAGE || page.get(page.size() - 1).getIndex() < first) {
          return all;
        }
        first = page.get(page.size() - 1).getIndex() + 1;
      }
    }

    private GetExtentsResponse getExtents(ClusterConnection c, int first, int max) {
      return c.meta(Envelope.newBuilder().setGetExtents(GetExtentsRequest.newBuilder()
          .setVolume(volume).setFirstIndex(first).setMaxCount(max))).getGetExtentsResponse();
    }
  }

  /** One extent of {@code extent show --json}, with each replica's generation ({@code views} by cid). */
  static Map<String, Object> toJson(ExtentInfo e, Map<Integer, CompletableFuture<ReplicaView>> views) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("index", e.getIndex());
    m.put("pid", e.getPid());
    m.put("replicas", e.getReplicasList());
    m.put("epoch", e.getEpoch());
    m.put("owner", e.getOwnerCid() == 0 ? null : e.getOwnerCid());
    m.put("owner_session", e.getOwnerCid() == 0 || e.getOwnerSession() == 0 ? null : e.getOwnerSession());
    Map<String, Object> gens = new LinkedHashMap<>();
    views.forEach((cid, f) -> gens.put(Integer.toString(cid), f.join().generation()));
    m.put("generations", gens);
    return m;
  }

  /** For each pid, each replica's answer in membership order. */
  static Map<Long, Map<Integer, CompletableFuture<ReplicaView>>> askReplicas(ClusterConnection c,
      List<ExtentInfo> extents) {
    Map<Integer, String> chunkAddresses = null;
    Map<Long, Map<Integer, CompletableFuture<ReplicaView>>> out = new LinkedHashMap<>();
    for (ExtentInfo e : extents) {
      Map<Integer, CompletableFuture<ReplicaView>> byCid = new LinkedHashMap<>();
      for (int i = 0; i < e.getReplicasCount(); i++) {
        int cid = e.getReplicas(i);
        String address = i < e.getReplicaAddressesCount() ? e.getReplicaAddresses(i) : "";
        if (address.isEmpty()) {
          if (chunkAddresses == null) {
            chunkAddresses = c.listChunks().stream()
                .collect(Collectors.toMap(ChunkInfo::getCid, ChunkInfo::getAddress, (a, b) -> a));
          }
          address = chunkAddresses.getOrDefault(cid, "");
        }
        byCid.put(cid, address.isEmpty()
            ? CompletableFuture.completedFuture(ReplicaView.failed("no address known for cid " + cid))
            : ask(c, address, e.getPid()));
      }
      out.put(e.getPid(), byCid);
    }
    return out;
  }

  private static CompletableFuture<ReplicaView> ask(ClusterConnection c, String address, long pid) {
    try {
      return c.chunk(address, Envelope.newBuilder().setReplicaStatus(ReplicaStatusRequest.newBuilder().setPid(pid)))
          .thenApply(r -> ReplicaView.of(r.getReplicaStatusResponse()))
          .exceptionally(t -> ReplicaView.failed(address + ": " + BasaltException.of(t).getMessage()));
    } catch (RuntimeException t) {
      return CompletableFuture.completedFuture(ReplicaView.failed(address + ": " + BasaltException.of(t).getMessage()));
    }
  }

  private static String state(ExtentInfo e) {
    return switch (e.getState()) {
      case EXTENT_HEALTHY -> "HEALTHY";
      case EXTENT_DEGRADED -> "DEGRADED";
      case EXTENT_RECOVERING -> "RECOVERING";
      case EXTENT_STATE_UNSPECIFIED -> null;
      case UNRECOGNIZED -> "UNKNOWN(" + e.getStateValue() + ")";
    };
  }

  private static long extentCount(GetExtentsResponse r) {
    long es = r.getVolume().getExtentSize();
    return es == 0 ? 0 : (r.getVolume().getSizeBytes() + es - 1) / es;
  }

  /** One replica's answer: generation and state, or why there is none. */
  record ReplicaView(Long generation, ReplicaState state, String error) {
    static ReplicaView of(ReplicaStatusResponse r) {
      return r.getExists() ? new ReplicaView(r.getGen(), r.getState(), null) : new ReplicaView(null, null, null);
    }

    static ReplicaView failed(String why) {
      return new ReplicaView(null, null, why);
    }

    String shortForm() {
      if (error != null) {
        return "?";
      }
      if (generation == null) {
        return "missing";
      }
      return state == null || state == ReplicaState.ACTIVE || state == ReplicaState.REPLICA_STATE_UNSPECIFIED
          ? generation.toString() : generation + "(" + state.name() + ")";
    }
  }
}
