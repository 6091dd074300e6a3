package io.basalt.cli.local;

import java.util.Locale;

/** The kinds of process a local cluster runs, in start order (stopped in reverse). */
public enum Role {
  ZOOKEEPER("io.basalt.meta.zk.EmbeddedZooKeeperMain", "-Xmx256m", "zookeeper ready at"),
  META("io.basalt.meta.MetaServerMain", "-Xmx256m", "meta server ready at"),
  CHUNK("io.basalt.chunk.ChunkServerMain", "-Xmx512m", "chunk server ready"),
  NBD("io.basalt.client.NbdServerMain", "-Xmx512m", "nbd server ready at");

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

  public String heap() {
    return heap;
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
}
