package io.basalt.cli.local;

import io.basalt.cli.core.CliException;
import io.basalt.cli.core.ClusterConnection;
import io.basalt.proto.ChunkInfo;
import io.basalt.proto.ChunkStatus;
import io.basalt.proto.CreateVolumeRequest;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ListChunksRequest;
import io.basalt.proto.ListVolumesRequest;
import io.basalt.rpc.BasaltException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * {@code basalt local up}: starts whatever of the local cluster is not running (the ZooKeeper servers, the meta
 * servers, chunk-1..N, nbd, in that order; the members of a group are all started, then waited for together, as an
 * ensemble serves only once a quorum has formed), records every process in DIR/cluster.json as it goes, creates the
 * {@code demo} volume if missing and prints its NBD URI last. Processes already running are kept, so a second run
 * only restarts what died. A new cluster has 3 ZooKeeper servers and 3 meta servers unless told otherwise; an
 * existing one keeps the numbers it was created with (a directory from before ensembles: one of each). Session
 * timings given ({@code --keepalive-interval}, {@code --session-timeout}) go to every meta and chunk server and are
 * recorded, so a later run restarts a dead server with the same ones; changing them while servers run is refused.
 */
public final class LocalUp {
  public static final String DEMO_VOLUME = "demo";
  public static final long DEMO_SIZE = 1L << 30;
  public static final long DEMO_EXTENT_SIZE = 256L << 20;
  private final Path dir;
  private final Integer chunksOpt;
  private final Integer basePortOpt;
  private final Integer zookeepersOpt;
  private final Integer metasOpt;
  private final Path jarOpt;
  private final SessionTimings sessionsOpt;
  private final Readiness readiness;
  private final PrintWriter out;
  /** Log size before each process this run started: its ready line must come after. */
  private final Map<String, Long> logOffsets = new HashMap<>();
  /** Arguments appended to the command line of the processes of a role this run starts (not remembered). */
  private final Map<Role, List<String>> extraArgs = new EnumMap<>(Role.class);
  private ClusterState state;
  private Path jar;
  private boolean lineOpen;

  public LocalUp(Path dir, Integer chunks, Integer basePort, Path jar, Duration wait, PrintWriter out) {
    this(dir, chunks, basePort, jar, SessionTimings.DEFAULTS, wait, out);
  }

  /** {@code sessions}: the timing flags given (null fields: as the cluster was started, else the defaults). */
  public LocalUp(Path dir, Integer chunks, Integer basePort, Path jar, SessionTimings sessions, Duration wait,
      PrintWriter out) {
    this(dir, chunks, basePort, null, null, jar, sessions, wait, out);
  }

  /**
   * {@code zookeepers}, {@code metas}: the numbers asked for (null: as the cluster has, else 3 and 3); an existing
   * cluster's cannot change.
   */
  public LocalUp(Path dir, Integer chunks, Integer basePort, Integer zookeepers, Integer metas, Path jar,
      SessionTimings sessions, Duration wait, PrintWriter out) {
    this.dir = dir.toAbsolutePath().normalize();
    this.chunksOpt = chunks;
    this.basePortOpt = basePort;
    this.zookeepersOpt = zookeepers;
    this.metasOpt = metas;
    this.jarOpt = jar;
    this.sessionsOpt = sessions == null ? SessionTimings.DEFAULTS : sessions;
    this.readiness = new Readiness(wait);
    this.out = out;
  }

  public void run() {
    ClusterState prior = ClusterStateFile.read(dir).orElse(null);
    LocalLayout layout = layout(prior);
    jar = resolveJar(prior);
    state = new ClusterState(LocalLayout.CLUSTER, layout.zkAddress(), layout.basePort(), layout.chunks(),
        jar.toString(), prior == null ? List.of() : prior.processes(), layout.sessions(), layout.zookeepers(),
        layout.metas());
    ClusterStateFile.write(dir, state);

    List<ProcessRecord> zks = awaitZooKeeper(layout.zookeeperSpecs());
    List<ProcessRecord> metas = startGroup(layout.metaSpecs());
    List<ProcessRecord> control = new ArrayList<>(zks);
    control.addAll(metas);
    try (ClusterConnection c = ClusterConnection.connect(layout.zkAddress(), LocalLayout.CLUSTER,
        Duration.ofSeconds(2))) {
      if (metas.size() > 1) {
        progress("waiting for a meta leader... ");
      }
      List<ProcessRecord> silent = new ArrayList<>(metas);
      readiness.await("a meta server to lead", control, () -> silent.isEmpty() ? metas : List.copyOf(silent), () -> {
        silent.removeIf(this::readyLineSeen);
        if (!silent.isEmpty()) {
          throw new IllegalStateException(silent.get(0).name() + " has not printed '" + Role.META.readyMarker()
              + "' yet");
        }
        c.meta(Envelope.newBuilder().setListChunks(ListChunksRequest.getDefaultInstance()));
        return true;
      });
      done("ready");
      List<ProcessRecord> chunks = new ArrayList<>();
      for (int i = 1; i <= layout.chunks(); i++) {
        ProcessRecord r = ensure(layout.chunk(i), true);
        chunks.add(r);
        done(logOffsets.containsKey(r.name()) ? "started" : "");
      }
      awaitChunks(c, control, chunks);
      ProcessRecord nbd = ensure(layout.nbd(), false);
      List<ProcessRecord> watched = new ArrayList<>(control);
      watched.add(nbd);
      readiness.awaitPort(nbd, watched, () -> printedReady(nbd));
      done("ready");
      ensureDemoVolume(c, Math.min(3, layout.chunks()), control, metas);
    }
    out.println(layout.nbdUri(DEMO_VOLUME));
    out.flush();
  }

  /**
   * Starts the ZooKeeper servers not running, then waits until each accepts connections and printed its ready line
   * (an ensemble member does once a quorum formed with it).
   */
  /**
   * Appends {@code args} to the command line of every {@code role} process this run starts (an operator's or a
   * benchmark's server flags, e.g. meta's {@code --scrub-light-period}); processes already running keep theirs.
   */
  public LocalUp withExtraArgs(Role role, List<String> args) {
    extraArgs.put(role, List.copyOf(args));
    return this;
  }

  private List<ProcessRecord> awaitZooKeeper(List<ProcessSpec> specs) {
    List<ProcessRecord> zks = startGroup(specs);
    if (zks.size() > 1) {
      progress("waiting for the ZooKeeper ensemble (" + zks.size() + " servers) to form a quorum... ");
    }
    List<ProcessRecord> pending = new ArrayList<>(zks);
    readiness.await(zks.size() == 1 ? zks.get(0).name() + " to accept connections on " + zks.get(0).address()
        : "the ZooKeeper ensemble to serve", zks, () -> List.copyOf(pending), () -> {
          pending.removeIf(r -> Readiness.portOpen(r.address()) && readyLineSeen(r));
          if (!pending.isEmpty()) {
            throw new IllegalStateException(pending.get(0).name() + " does not serve yet (no '"
                + Role.ZOOKEEPER.readyMarker() + "' line)");
          }
          return true;
        });
    done("ready");
    return zks;
  }

  /**
   * Ensures every process of one group. A lone process leaves its progress line open for the wait that follows
   * ("starting meta (...)... ready"); a group gets a line per process, then one for the wait.
   */
  private List<ProcessRecord> startGroup(List<ProcessSpec> specs) {
    List<ProcessRecord> out = new ArrayList<>();
    for (ProcessSpec spec : specs) {
      ProcessRecord r = ensure(spec, specs.size() > 1);
      out.add(r);
      if (specs.size() > 1) {
        done(logOffsets.containsKey(r.name()) ? "started" : "");
      }
    }
    return out;
  }

  /**
   * Whether {@code r} printed its ready line since this run started it (true for processes kept running). Says
   * why not by throwing, so a timeout names the missing line.
   */
  private boolean printedReady(ProcessRecord r) {
    if (readyLineSeen(r)) {
      return true;
    }
    throw new IllegalStateException(r.name() + " has not printed '" + r.role().readyMarker() + "' yet");
  }

  private boolean readyLineSeen(ProcessRecord r) {
    Long offset = logOffsets.get(r.name());
    return offset == null || LocalProcesses.containsSince(Path.of(r.logFile()), offset, r.role().readyMarker());
  }

  private LocalLayout layout(ClusterState prior) {
    int chunks = chunksOpt != null ? chunksOpt : prior != null ? prior.chunks() : 3;
    int basePort = basePortOpt != null ? basePortOpt : prior != null ? prior.basePort() : 0;
    int zookeepers = zookeepersOpt != null ? zookeepersOpt
        : prior != null ? prior.zookeepers() : LocalLayout.DEFAULT_ZOOKEEPERS;
    int metas = metasOpt != null ? metasOpt : prior != null ? prior.metas() : LocalLayout.DEFAULT_METAS;
    SessionTimings sessions = prior != null ? sessionsOpt.orElse(prior.sessions()) : sessionsOpt;
    if (prior != null) {
      if (chunks < prior.chunks()) {
        throw new CliException("the local cluster in " + dir + " has " + prior.chunks() + " chunk servers; "
            + "'local up' does not remove any (run 'basalt local down' and delete " + dir + " to start over)");
      }
      if (zookeepers != prior.zookeepers()) {
        throw new CliException("the local cluster in " + dir + " has " + count(prior.zookeepers(), "ZooKeeper server")
            + "; 'local up' does not change that (run 'basalt local down' and delete " + dir + " to start over)");
      }
      if (metas != prior.metas()) {
        throw new CliException("the local cluster in " + dir + " has " + count(prior.metas(), "meta server")
            + "; 'local up' does not change that (run 'basalt local down' and delete " + dir + " to start over)");
      }
      if (basePort != prior.basePort() && prior.processes().stream().anyMatch(LocalProcesses::isRunning)) {
        throw new CliException("the local cluster in " + dir + " runs with --base-port " + prior.basePort()
            + "; run 'basalt local down --dir " + dir + "' before changing it");
      }
      boolean serversRunning = prior.processes().stream()
          .anyMatch(r -> (r.role() == Role.META || r.role() == Role.CHUNK) && LocalProcesses.isRunning(r));
      if (!sessions.sameEffect(prior.sessions()) && serversRunning) {
        throw new CliException("the local cluster in " + dir + " runs with " + prior.sessions()
            + "; run 'basalt local down --dir " + dir + "' before changing them");
      }
    }
    try {
      sessions.validate();
    } catch (IllegalArgumentException e) {
      throw new CliException(prior == null ? e.getMessage() : e.getMessage() + " (the flag not given keeps the "
          + "cluster's: " + prior.sessions() + ")");
    }
    try {
      return new LocalLayout(dir, basePort, chunks, sessions, zookeepers, metas);
    } catch (IllegalArgumentException e) {
      throw new CliException(e.getMessage());
    }
  }

  private static String count(int n, String what) {
    return n + " " + what + (n == 1 ? "" : "s");
  }

  /**
   * Keeps {@code spec}'s process if it runs, else checks its ports and starts it. Leaves a progress line open
   * ({@code inGroup}: for "started" or nothing, else for the wait that follows).
   */
  private ProcessRecord ensure(ProcessSpec spec, boolean inGroup) {
    Optional<ProcessRecord> known = state.find(spec.role(), spec.index());
    if (known.isPresent() && LocalProcesses.isRunning(known.get())) {
      progress(spec.name() + " already running (pid " + known.get().pid() + ", " + spec.address() + ")"
          + (inGroup ? "" : "... "));
      return known.get();
    }
    for (int i = 0; i < spec.ports().size(); i++) {
      if (!Readiness.portFree(LocalLayout.HOST, spec.ports().get(i))) {
        throw new CliException("cannot start " + spec.name() + ": port " + spec.portsWithPurpose().get(i) + " on "
            + LocalLayout.HOST + " is already in use by another process; stop it, or pass --base-port OFFSET to "
            + "run this cluster on other ports");
      }
    }
    progress("starting " + spec.name() + " (" + spec.address() + ")... ");
    if (spec.dataDir() != null) {
      mkdirs(spec.dataDir());
    }
    logOffsets.put(spec.name(), LocalProcesses.size(spec.logFile()));
    List<String> cmd = spec.command(javaBin(), jar);
    cmd.addAll(extraArgs.getOrDefault(spec.role(), List.of()));
    long pid = LocalProcesses.start(cmd, dir, spec.logFile());
    ProcessRecord r = spec.toRecord(pid, known.map(ProcessRecord::cid).orElse(null));
    save(r);
    return r;
  }

  /** {@code control}: the ZooKeeper and meta processes, watched while waiting. */
  private void awaitChunks(ClusterConnection c, List<ProcessRecord> control, List<ProcessRecord> chunks) {
    progress("waiting for " + chunks.size() + " chunk server" + (chunks.size() == 1 ? "" : "s")
        + " to register... ");
    List<ProcessRecord> watched = new ArrayList<>(chunks);
    watched.addAll(control);
    List<ProcessRecord> pending = new ArrayList<>(chunks);
    readiness.await("chunk servers to register with meta", watched, () -> List.copyOf(pending), () -> {
      List<ChunkInfo> known = c.listChunks();
      pending.clear();
      for (ProcessRecord r : chunks) {
        Optional<ChunkInfo> info = registered(known, r);
        if (info.isPresent() && readyLineSeen(r)) {
          save(state.find(r.role(), r.index()).orElse(r).withCid(info.get().getCid()));
        } else {
          pending.add(r);
        }
      }
      return pending.isEmpty();
    });
    done("ready (cid " + state.ofRole(Role.CHUNK).stream().map(r -> String.valueOf(r.cid()))
        .collect(Collectors.joining(", ")) + ")");
  }

  /** The healthy registration of chunk {@code r} by its address, made since the process started. */
  private static Optional<ChunkInfo> registered(List<ChunkInfo> known, ProcessRecord r) {
    long startedMs = LocalProcesses.startTime(r).map(Instant::toEpochMilli).orElse(0L) - 2_000;
    long nowMs = System.currentTimeMillis();
    // last_seen_ms is the age of the chunk's last heartbeat on meta's clock (-1: never heard from)
    return known.stream()
        .filter(i -> i.getAddress().equals(r.address()))
        .filter(i -> i.getStatus() == ChunkStatus.HEALTHY || i.getStatus() == ChunkStatus.CHUNK_STATUS_UNSPECIFIED)
        .filter(i -> i.getLastSeenMs() >= 0 && nowMs - i.getLastSeenMs() >= startedMs)
        .min(Comparator.comparingLong(ChunkInfo::getLastSeenMs));
  }

  /** Creates the demo volume unless it exists; retries while meta is not ready (e.g. in its grace period). */
  private void ensureDemoVolume(ClusterConnection c, int replicas, List<ProcessRecord> control,
      List<ProcessRecord> metas) {
    progress("volume " + DEMO_VOLUME + " (1 GiB, " + replicas + " replica" + (replicas == 1 ? "" : "s") + ")... ");
    String[] outcome = {"exists"};
    readiness.await("meta to create volume " + DEMO_VOLUME, control, () -> metas, () -> {
      try {
        boolean exists = c.meta(Envelope.newBuilder().setListVolumes(ListVolumesRequest.getDefaultInstance()))
            .getListVolumesResponse().getVolumesList().stream().anyMatch(v -> v.getName().equals(DEMO_VOLUME));
        if (!exists) {
          c.meta(Envelope.newBuilder().setCreateVolume(CreateVolumeRequest.newBuilder().setName(DEMO_VOLUME)
              .setSizeBytes(DEMO_SIZE).setReplicas(replicas).setExtentSize(DEMO_EXTENT_SIZE)));
          outcome[0] = "created";
        }
        return true;
      } catch (BasaltException e) {
        if (e.code() == ErrorCode.ALREADY_EXISTS) {
          return true;
        }
        if (!e.retryable()) {
          throw new CliException("cannot create volume " + DEMO_VOLUME + ": " + e.getMessage(), e);
        }
        throw e;
      }
    });
    done(outcome[0]);
  }

  private Path resolveJar(ClusterState prior) {
    List<Path> candidates = new ArrayList<>();
    if (jarOpt != null) {
      candidates.add(jarOpt);
    } else {
      String prop = System.getProperty("basalt.jar");
      if (prop != null && !prop.isBlank()) {
        candidates.add(Path.of(prop));
      }
      try {
        Path self = Path.of(LocalUp.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (self.toString().endsWith(".jar")) {
          candidates.add(self);
        }
      } catch (Exception ignored) {
        // not from a jar (tests, IDE): fall through
      }
      if (prior != null && prior.jar() != null) {
        candidates.add(Path.of(prior.jar()));
      }
    }
    for (Path p : candidates) {
      if (Files.isRegularFile(p)) {
        return p.toAbsolutePath().normalize();
      }
    }
    throw new CliException("cannot find the Basalt distribution jar" + (jarOpt != null ? " " + jarOpt : "")
        + "; build it with 'mvn -DskipTests package' (deploy/target/basalt.jar) and run bin/basalt, "
        + "or pass --jar PATH");
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private void save(ProcessRecord r) {
    state = state.with(r);
    ClusterStateFile.write(dir, state);
  }

  private static void mkdirs(Path p) {
    try {
      Files.createDirectories(p);
    } catch (IOException e) {
      throw new CliException("cannot create " + p + ": " + e.getMessage(), e);
    }
  }

  private void progress(String text) {
    out.print(text);
    out.flush();
    lineOpen = true;
  }

  private void done(String text) {
    out.println(text);
    out.flush();
    lineOpen = false;
  }

  /** Ends a progress line left open by a failure ("starting meta... failed"). */
  public void failed() {
    if (lineOpen) {
      done("failed");
    }
  }
}
