package io.basalt.cli.local;

import io.basalt.cli.core.CliException;
import io.basalt.cli.output.DurationFormat;
import io.basalt.cli.output.JsonOutput;
import io.basalt.cli.output.JsonReader;
import io.basalt.common.Units;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads and writes DIR/cluster.json, the state file of a local cluster. Written atomically (temp file + rename) so
 * a crash never leaves half a file. Format (version 1; {@code keepaliveInterval} and {@code sessionTimeout} are the
 * flags {@code local up} was given, null or missing for the servers' defaults; {@code zookeepers} and {@code metas}
 * are missing in files written before ensembles, which had one of each):
 * <pre>
 * {"version": 1, "cluster": "local", "zk": "127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183", "basePort": 0,
 *  "chunks": 3, "zookeepers": 3, "metas": 3, "jar": "/abs/basalt.jar", "keepaliveInterval": "500ms",
 *  "sessionTimeout": "3s",
 *  "processes": [{"role": "chunk", "index": 1, "pid": 4242, "cid": 1, "address": "127.0.0.1:7101",
 *                 "metrics": "127.0.0.1:9101", "dataDir": "/abs/run/local/chunk-1",
 *                 "logFile": "/abs/run/local/logs/chunk-1.log"}, ...]}
 * </pre>
 */
public final class ClusterStateFile {
  public static final String FILE_NAME = "cluster.json";

  private ClusterStateFile() {}

  public static Path path(Path dir) {
    return dir.resolve(FILE_NAME);
  }

  /** The state of the local cluster in {@code dir}, or empty when there is none. */
  public static Optional<ClusterState> read(Path dir) {
    Path file = path(dir);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(parse(Files.readString(file, StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new CliException("cannot read " + file + ": " + e.getMessage(), e);
    } catch (IllegalArgumentException | ClassCastException | NullPointerException e) {
      throw new CliException("corrupt state file " + file + ": " + e.getMessage(), e);
    }
  }

  /** Replaces the state file in {@code dir} (created if missing). */
  public static void write(Path dir, ClusterState state) {
    Path file = path(dir);
    Path tmp = dir.resolve(FILE_NAME + ".tmp");
    try {
      Files.createDirectories(dir);
      Files.writeString(tmp, format(state) + "\n", StandardCharsets.UTF_8);
      try {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new CliException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  static String format(ClusterState s) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("version", ClusterState.VERSION);
    root.put("cluster", s.cluster());
    root.put("zk", s.zk());
    root.put("basePort", s.basePort());
    root.put("chunks", s.chunks());
    root.put("zookeepers", s.zookeepers());
    root.put("metas", s.metas());
    root.put("jar", s.jar());
    root.put("keepaliveInterval", durationOrNull(s.sessions().keepaliveInterval()));
    root.put("sessionTimeout", durationOrNull(s.sessions().sessionTimeout()));
    List<Object> procs = new ArrayList<>();
    for (ProcessRecord p : s.processes()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("role", p.role().label());
      m.put("index", p.index());
      m.put("pid", p.pid());
      m.put("cid", p.cid());
      m.put("address", p.address());
      m.put("metrics", p.metricsAddress());
      m.put("dataDir", p.dataDir());
      m.put("logFile", p.logFile());
      procs.add(m);
    }
    root.put("processes", procs);
    return JsonOutput.pretty(root);
  }

  static ClusterState parse(String json) {
    Map<String, Object> root = JsonReader.parseObject(json);
    int version = (int) num(root, "version");
    if (version != ClusterState.VERSION) {
      throw new IllegalArgumentException("unsupported version " + version + " (expected " + ClusterState.VERSION
          + ")");
    }
    List<ProcessRecord> procs = new ArrayList<>();
    Object list = root.get("processes");
    if (list != null) {
      for (Object o : (List<?>) list) {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) o;
        Object cid = m.get("cid");
        procs.add(new ProcessRecord(Role.fromLabel(str(m, "role")), (int) num(m, "index"), (long) num(m, "pid"),
            cid == null ? null : (int) (double) (Double) cid, str(m, "address"), (String) m.get("metrics"),
            (String) m.get("dataDir"), str(m, "logFile")));
      }
    }
    return new ClusterState(str(root, "cluster"), str(root, "zk"), (int) num(root, "basePort"),
        (int) num(root, "chunks"), (String) root.get("jar"), procs,
        new SessionTimings(duration(root, "keepaliveInterval"), duration(root, "sessionTimeout")),
        countOrOne(root, "zookeepers"), countOrOne(root, "metas"));
  }

  private static String durationOrNull(Duration d) {
    return d == null ? null : DurationFormat.flag(d);
  }

  /** An optional duration such as "500ms"; null when missing (files written before the field existed). */
  private static Duration duration(Map<String, Object> m, String key) {
    Object v = m.get(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s)) {
      throw new IllegalArgumentException("'" + key + "' not a string");
    }
    return Units.parseDuration(s);
  }

  /** A process count, 1 when missing (files written before ensembles had one ZooKeeper and one meta). */
  private static int countOrOne(Map<String, Object> m, String key) {
    return m.get(key) == null ? 1 : (int) num(m, key);
  }

  private static double num(Map<String, Object> m, String key) {
    Object v = m.get(key);
    if (!(v instanceof Double d)) {
      throw new IllegalArgumentException("'" + key + "' missing or not a number");
    }
    return d;
  }

  private static String str(Map<String, Object> m, String key) {
    Object v = m.get(key);
    if (!(v instanceof String s)) {
      throw new IllegalArgumentException("'" + key + "' missing or not a string");
    }
    return s;
  }
}
