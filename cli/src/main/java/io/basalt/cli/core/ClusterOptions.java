package io.basalt.cli.core;

import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * How a command finds the cluster: {@code --zk} names ZooKeeper directly; otherwise the state file of the local
 * cluster in {@code --dir} (written by {@code basalt local up}) does. Mixed into every command that talks to meta.
 */
public final class ClusterOptions {
  public static final String DEFAULT_DIR = "./run/local";
  public static final String DEFAULT_CLUSTER = "local";

  @Option(names = "--dir", paramLabel = "DIR", defaultValue = DEFAULT_DIR,
      description = "local cluster directory; its cluster.json names ZooKeeper (default: ${DEFAULT-VALUE})")
  Path dir;

  @Option(names = "--zk", paramLabel = "HOST:PORT[,...]",
      description = "ZooKeeper connect string; overrides --dir")
  String zk;

  @Option(names = "--cluster", paramLabel = "NAME",
      description = "cluster name (default: the one in cluster.json, else " + DEFAULT_CLUSTER + ")")
  String cluster;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "15s", converter = Converters.Time.class,
      description = "how long to keep retrying while no meta leader answers (default: ${DEFAULT-VALUE})")
  Duration timeout;

  public Path dir() {
    return dir;
  }

  public String zk() {
    return zk;
  }

  public String cluster() {
    return cluster;
  }

  public Duration timeout() {
    return timeout;
  }
}
