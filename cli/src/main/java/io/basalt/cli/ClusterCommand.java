package io.basalt.cli;

import io.basalt.cli.core.CliException;
import io.basalt.cli.core.ClusterConnection;
import io.basalt.cli.core.ClusterOptions;
import io.basalt.cli.local.ClusterState;
import io.basalt.cli.local.ClusterStateFile;
import io.basalt.cli.output.JsonOutput;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Base of every command that talks to a running cluster: the cluster options, {@code --json}, argument checks
 * before connecting (usage errors, exit code 2), then {@link #run} with an open connection.
 */
public abstract class ClusterCommand implements Callable<Integer> {
  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
  boolean helpRequested;

  @Mixin
  protected ClusterOptions clusterOptions;

  @Option(names = "--json", description = "print JSON instead of a table")
  protected boolean json;

  @Spec
  protected CommandSpec spec;

  @Override
  public Integer call() {
    validate();
    try (ClusterConnection c = open(clusterOptions)) {
      run(c);
    }
    return 0;
  }

  /** Connects as {@code options} say: {@code --zk}, else the state file in {@code --dir}. */
  static ClusterConnection open(ClusterOptions options) {
    String zk = options.zk();
    String cluster = options.cluster();
    if (zk == null) {
      Optional<ClusterState> state = ClusterStateFile.read(options.dir());
      if (state.isEmpty()) {
        throw new CliException("no local cluster at " + options.dir() + " (" + ClusterStateFile.path(options.dir())
            + " not found); run 'basalt local up' or pass --zk HOST:PORT");
      }
      zk = state.get().zk();
      if (cluster == null) {
        cluster = state.get().cluster();
      }
    }
    return ClusterConnection.connect(zk, cluster == null ? ClusterOptions.DEFAULT_CLUSTER : cluster,
        options.timeout());
  }

  /** Checks arguments picocli cannot; throw {@link #usage} for a bad one. */
  protected void validate() {}

  protected abstract void run(ClusterConnection c);

  protected ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }

  protected PrintWriter out() {
    return spec.commandLine().getOut();
  }

  protected void printJson(Object value) {
    out().println(JsonOutput.pretty(value));
    out().flush();
  }
}
