package io.basalt.cli;

import io.basalt.cli.core.CliException;
import io.basalt.cli.core.GroupCommand;
import io.basalt.cli.local.LocalCommand;
import io.basalt.rpc.BasaltException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code basalt}: the admin CLI. Exit codes: 0 success, 1 an error from the cluster ("error: CODE: message") or
 * the CLI ("error: message"), 2 bad arguments (picocli's message and usage).
 */
@Command(name = "basalt", version = "basalt 0.1.0",
    description = "Administer a Basalt block store cluster.",
    subcommands = {LocalCommand.class, ClusterGroupCommand.class, VolumeCommand.class, ChunkCommand.class,
        ExtentCommand.class, SessionCommand.class, RecoveryCommand.class, QuarantineCommand.class, ScrubCommand.class,
        CommandLine.HelpCommand.class})
public final class BasaltCli extends GroupCommand {
  @Option(names = {"-V", "--version"}, versionHelp = true, description = "Print version information and exit.")
  boolean versionRequested;

  /** Logback configuration for the CLI process only: warnings to stderr, so stdout stays clean for --json. */
  static final String CLI_LOGBACK = "basalt-cli-logback.xml";

  public static void main(String[] args) {
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", CLI_LOGBACK);
    }
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    System.exit(run(out, err, args));
  }

  /** Runs one command line, printing to {@code out} and {@code err}; returns the exit code. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cl = commandLine();
    cl.setOut(out);
    cl.setErr(err);
    int rc = cl.execute(args);
    out.flush();
    err.flush();
    return rc;
  }

  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new BasaltCli());
    cl.setExecutionExceptionHandler((e, cmd, parseResult) -> {
      PrintWriter err = cmd.getErr();
      if (e instanceof BasaltException b) {
        err.println("error: " + b.getMessage()); // "CODE: message"
      } else if (e instanceof CliException) {
        err.println("error: " + e.getMessage());
      } else {
        err.println("error: " + e);
        e.printStackTrace(err);
      }
      err.flush();
      return CommandLine.ExitCode.SOFTWARE;
    });
    return cl;
  }
}
