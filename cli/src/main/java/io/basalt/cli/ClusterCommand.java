package io.basalt.cli;

import io.basalt.cli.output.JsonOutput;
import java.io.PrintWriter;
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
    try (ClusterConnection c = ClusterConnection.open(clusterOptions)) {
      run(c);
    }
    return 0;
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
