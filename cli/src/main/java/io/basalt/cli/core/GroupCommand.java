package io.basalt.cli.core;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Base of a command that only groups subcommands ({@code basalt volume}, {@code basalt local}): run on its own it
 * is a usage error (exit code 2) naming the subcommands to pick from.
 */
public abstract class GroupCommand implements Runnable {
  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
  boolean helpRequested;

  @Spec
  protected CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing required subcommand: one of "
        + String.join(", ", spec.subcommands().keySet().stream().filter(n -> !n.equals("help")).toList()));
  }
}
