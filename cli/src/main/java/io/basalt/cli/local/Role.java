package io.basalt.cli.local;

import java.util.Locale;

/** The kinds of process a local cluster runs, in start order (stopped in reverse). */
public enum Role {
  ZOOKEEPER("io.basalt.meta.zk.EmbeddedZooKeeperMain", "-Xmx256m"),
  META("io.basalt.meta.MetaServerMain", "-Xmx256m"),
  CHUNK("io.basalt.chunk.ChunkServerMain", "-Xmx512m"),
  NBD("io.basalt.client.NbdServerMain", "-Xmx512m");

  private final String mainClass;
  private final String heap;

  Role(String mainClass, String heap) {
    this.mainClass = mainClass;
    this.heap = heap;
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
