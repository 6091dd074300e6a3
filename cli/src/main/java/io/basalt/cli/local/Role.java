package io.basalt.cli.local;

import java.util.List;
import java.util.Locale;

/** The kinds of process a local cluster runs, in start order (stopped in reverse). */
public enum Role {
  // ZooKeeper holds a few MB of znodes: a small heap and the serial collector (no GC threads on a shared laptop)
  ZOOKEEPER("io.basalt.meta.zk.EmbeddedZooKeeperMain", "-Xmx128m -XX:+UseSerialGC", "zookeeper ready at"),
  META("io.basalt.meta.MetaServerMain", "-Xmx256m", "meta server ready at"),
  CHUNK("io.basalt.chunk.ChunkServerMain", DataPathJvm.OPTIONS, "chunk server ready"),
  NBD("io.basalt.client.NbdServerMain", DataPathJvm.OPTIONS, "nbd server ready at");



  private final String mainClass;
  private final String heap;
  private final String readyMarker;

  Role(String mainClass, String heap, String readyMarker) {
    this.mainClass = mainClass;
    this.heap = heap;
    this.readyMarker = readyMarker;
  }

  /** What the process prints on stdout (so in its log) once it serves. */
  public String readyMarker() {
    return readyMarker;
  }

  public String mainClass() {
    return mainClass;
  }

  /** JVM options for the heap and collector, one per element. */
  public List<String> heap() {
    return List.of(heap.split(" "));
  }

  /** The lowercase name used in the state file, log file names and output ("chunk"). */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Role fromLabel(String label) {
    for (Role r : values()) {
      if (r.label().equals(label)) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown role '" + label + "'");
  }

  private static final class DataPathJvm {
    /**
     * The data path's processes: a fixed, pre-touched heap (no page faults or heap resizing under load). Their garbage
     * is short-lived (pooled direct buffers carry the data), so young collections are cheap; G1's concurrent threads
     * would only compete with the event loops on a node that runs several servers per core.
     */
    static final String OPTIONS = "-Xms512m -Xmx512m -XX:+AlwaysPreTouch -XX:+UseParallelGC"
      + " -XX:ParallelGCThreads=2";
  }
}
