package io.basalt.cli.local;

import io.basalt.cli.core.CliException;
import io.basalt.cli.core.ClusterOptions;
import io.basalt.cli.core.Converters;
import io.basalt.cli.core.GroupCommand;
import io.basalt.cli.output.JsonOutput;
import io.basalt.cli.output.TablePrinter;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code basalt local up|down|status}: a whole cluster on 127.0.0.1, one process per server, for trying Basalt. */
@Command(name = "local", 
    description = "Run a whole cluster on this machine (one process per server, data under DIR).",
    subcommands = {LocalCommand.Up.class, LocalCommand.Down.class, LocalCommand.Status.class})
public final class LocalCommand extends GroupCommand {
  static final Duration STOP_GRACE = Duration.ofSeconds(10);
  static final int LOG_TAIL_LINES = 40;

  /** --dir, shared by the three subcommands. */
  static class DirCommand {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean helpRequested;

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = ClusterOptions.DEFAULT_DIR,
        description = "cluster directory: state file, data and logs (default: ${DEFAULT-VALUE})")
    Path dir;

    @Spec
    CommandSpec spec;

    /** --dir made absolute, for messages and child processes. */
    Path dir() {
      return dir.toAbsolutePath().normalize();
    }

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    PrintWriter err() {
      return spec.commandLine().getErr();
    }

    ClusterState requireState() {
      return ClusterStateFile.read(dir).orElseThrow(() -> new CliException("no local cluster at " + dir() + " ("
          + ClusterStateFile.path(dir()) + " not found); start one with 'basalt local up'"));
    }
  }

  @Command(name = "up",
      description = "Start (or complete) the local cluster: a ZooKeeper ensemble of 3, 3 meta servers (one leads), "
          + "N chunk servers and the NBD server, each its own process; then create volume 'demo' if missing and "
          + "print its NBD URI as the last line. "
          + "Processes already running are kept. Short session timings (--keepalive-interval 500ms "
          + "--session-timeout 3s) make expiries quick to try.")
  static final class Up extends DirCommand implements Callable<Integer> {
    @Option(names = "--chunks", paramLabel = "N",
        description = "chunk servers (default: 3, or as many as the cluster already has)")
    Integer chunks;

    @Option(names = "--zk", paramLabel = "N",
        description = "ZooKeeper servers: 3 (an ensemble, the default for a new cluster) or 1 (standalone); an "
            + "existing cluster keeps what it has")
    Integer zookeepers;

    @Option(names = "--metas", paramLabel = "N",
        description = "meta servers, 1.." + LocalLayout.MAX_METAS + " (default 3 for a new cluster; an existing "
            + "cluster keeps what it has)")
    Integer metas;

    @Option(names = "--base-port", paramLabel = "OFFSET",
        description = "added to every default port, to run a second cluster (default: 0, or the cluster's)")
    Integer basePort;

    @Option(names = "--jar", paramLabel = "JAR",
        description = "distribution jar to launch servers from (default: -Dbasalt.jar, as bin/basalt sets it)")
    Path jar;

    @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "60s", converter = Converters.Time.class,
        description = "how long to wait for each step (default: ${DEFAULT-VALUE})")
    Duration wait;

    @Option(names = "--keepalive-interval", paramLabel = "DURATION", converter = Converters.Time.class,
        description = "how often chunk servers send KeepAlive to meta, e.g. 500ms; passed to meta and every chunk "
            + "server (default: the servers' 1s, or what the cluster was started with)")
    Duration keepaliveInterval;

    @Option(names = "--session-timeout", paramLabel = "DURATION", converter = Converters.Time.class,
        description = "how long a session and its leases live after the last keepalive, e.g. 3s; at least twice "
            + "the keepalive interval; passed to meta and every chunk server (default: the servers' 10s, or what "
            + "the cluster was started with)")
    Duration sessionTimeout;

    @Option(names = "--meta-arg", paramLabel = "ARG",
        description = "an argument added to the command line of the meta servers this run starts, repeatable; "
            + "write flags with '=', e.g. --meta-arg=--scrub-light-period=1h (servers already running keep theirs)")
    List<String> metaArgs = new ArrayList<>();

    @Option(names = "--chunk-arg", paramLabel = "ARG",
        description = "an argument added to the command line of the chunk servers this run starts, repeatable, as "
            + "--meta-arg, e.g. --chunk-arg=--recovery-busy-share=0.2")
    List<String> chunkArgs = new ArrayList<>();

    @Override
    public Integer call() {
      if (chunks != null && (chunks < 1 || chunks > LocalLayout.MAX_CHUNKS)) {
        throw new ParameterException(spec.commandLine(), "--chunks must be between 1 and " + LocalLayout.MAX_CHUNKS);
      }
      if (basePort != null && (basePort < 0 || basePort > LocalLayout.MAX_BASE_PORT)) {
        throw new ParameterException(spec.commandLine(), "--base-port must be between 0 and "
            + LocalLayout.MAX_BASE_PORT);
      }
      try {
        if (zookeepers != null) {
          LocalLayout.checkZookeepers(zookeepers);
        }
        if (metas != null) {
          LocalLayout.checkMetas(metas);
        }
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage());
      }
      SessionTimings sessions = new SessionTimings(keepaliveInterval, sessionTimeout);
      // a flag not given keeps what the cluster was started with: check the pair the servers would get
      SessionTimings recorded = ClusterStateFile.read(dir).map(ClusterState::sessions)
          .orElse(SessionTimings.DEFAULTS);
      try {
        sessions.orElse(recorded).validate();
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage()
            + (recorded.equals(SessionTimings.DEFAULTS) ? "" : " (the flag not given keeps the cluster's: "
            + recorded + ")"));
      }
      LocalUp up = new LocalUp(dir, chunks, basePort, zookeepers, metas, jar, sessions, wait, out())
          .withExtraArgs(Role.META, metaArgs).withExtraArgs(Role.CHUNK, chunkArgs);
      try {
        up.run();
        return 0;
      } catch (RuntimeException e) {
        up.failed();
        if (!(e instanceof LaunchException launch)) {
          throw e; // printed as "error: ..." by BasaltCli
        }
        err().println("error: " + e.getMessage());
        for (ProcessRecord r : launch.culprits()) {
          err().println("--- last lines of " + r.logFile() + " (" + r.name() + "):");
          LocalProcesses.tail(Path.of(r.logFile()), LOG_TAIL_LINES).forEach(l -> err().println("  " + l));
        }
        err().flush();
        return 1;
      }
    }
  }

  @Command(name = "down", 
      description = "Stop every process of the local cluster (SIGTERM, SIGKILL after 10 s); data is kept.")
  static final class Down extends DirCommand implements Callable<Integer> {
    @Override
    public Integer call() {
      var state = ClusterStateFile.read(dir);
      if (state.isEmpty()) {
        out().println("no local cluster at " + dir() + "; nothing to stop");
        out().flush();
        return 0;
      }
      List<Role> order = new ArrayList<>(List.of(Role.values()));
      Collections.reverse(order);
      int stopped = 0;
      for (Role role : order) {
        List<ProcessRecord> running = state.get().ofRole(role).stream().filter(LocalProcesses::isRunning).toList();
        if (running.isEmpty()) {
          continue;
        }
        out().print("stopping " + String.join(", ", running.stream().map(r -> r.name() + " (pid " + r.pid() + ")")
            .toList()) + "... ");
        out().flush();
        List<String> killed = LocalProcesses.stop(running, STOP_GRACE);
        out().println(killed.isEmpty() ? "stopped"
            : "killed " + String.join(", ", killed) + " after " + STOP_GRACE.toSeconds() + " s");
        stopped += running.size();
      }
      out().println(stopped == 0 ? "nothing was running" : "local cluster stopped; data kept in " + dir());
      out().flush();
      return 0;
    }
  }

  @Command(name = "status",
      description = "List the processes of the local cluster (every ZooKeeper server, every meta server, the chunk "
          + "servers and the NBD server), whether each is running and, for ZooKeeper and meta servers, its part in "
          + "the election (leader, follower, ...), then the meta leader and epoch and the session timings its meta "
          + "and chunk servers were started with.")
  static final class Status extends DirCommand implements Callable<Integer> {
    @Option(names = "--json", description = "print a JSON array instead of a table")
    boolean json;

    @Override
    public Integer call() {
      ClusterState state = requireState();
      LocalMembers members = LocalMembers.probe(state);
      if (json) {
        List<Object> rows = new ArrayList<>();
        for (ProcessRecord r : state.processes()) {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("role", r.role().label());
          m.put("index", r.index());
          m.put("pid", r.pid());
          m.put("cid", r.cid());
          m.put("address", r.address());
          m.put("state", stateOf(r));
          m.put("member_state", members.stateOf(r));
          m.put("meta_epoch", members.epochOf(r));
          boolean sessionFlags = r.role() == Role.META || r.role() == Role.CHUNK;
          m.put("keepalive_interval_ms", sessionFlags
              ? state.sessions().effectiveKeepaliveInterval().toMillis() : null);
          m.put("session_timeout_ms", sessionFlags ? state.sessions().effectiveSessionTimeout().toMillis() : null);
          rows.add(m);
        }
        out().println(JsonOutput.pretty(rows));
      } else {
        TablePrinter t = new TablePrinter("ROLE", "INDEX", "PID", "CID", "ADDRESS", "METRICS", "STATE", "MEMBER",
            "LOG");
        for (ProcessRecord r : state.processes()) {
          t.row(r.role().label(), r.index(), r.pid() == 0 ? null : r.pid(), r.cid(), r.address(),
              r.metricsAddress(), stateOf(r), members.stateOf(r), r.logFile());
        }
        t.print(out());
        out().println(members.summary());
        out().println("sessions (meta and chunk servers): " + state.sessions());
      }
      out().flush();
      return 0;
    }

    private static String stateOf(ProcessRecord r) {
      return LocalProcesses.isRunning(r) ? "running" : "dead";
    }
  }
}
