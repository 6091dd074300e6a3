package io.basalt.tester;

import io.basalt.cli.core.Converters;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bin/basalt-tester}: the functional tester (issue 14). Starts a process cluster, runs the stressers through
 * NBD and walks the fault cases round after round, checking the cluster after each; exits 0 when no invariant broke,
 * 1 on the first violation (evidence saved), 2 on bad arguments or a cluster that would not start.
 */
@Command(name = "basalt-tester", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Endless rounds of injected failures under stressers, with a consistency check after each case.",
        "Each round walks the cases in a seeded random order; for each case: inject the failure, wait, recover it,",
        "cancel the stressers, wait for full redundancy, check, restart the stressers."},
    footer = {"", "Examples:", "  bin/basalt-tester --rounds 1 --fast           one short round (what CI runs)",
        "  bin/basalt-tester --duration 1h               a one-hour soak",
        "  bin/basalt-tester --seed 42 --cases kill-owner,partition-peers --rounds 3",
        "Exit codes: 0 no violation, 1 a violation (evidence saved, seed printed), 2 bad arguments or setup failure."})
public final class TesterMain implements Callable<Integer> {
  @Option(names = "--rounds", paramLabel = "N", description = "Rounds to run (default: 1, or none with --duration).")
  Integer rounds;

  @Option(names = "--duration", paramLabel = "D", converter = Converters.Time.class,
      description = "Run until D has passed (e.g. 10m, 1h); the case under way finishes.")
  Duration duration;

  @Option(names = "--seed", paramLabel = "S", description = "Seed of every random choice (default: random, printed).")
  Long seed;

  @Option(names = "--cases", paramLabel = "a,b,c", split = ",", description = "Cases to walk (default: all).")
  List<String> cases = List.of();

  @Option(names = "--fast", description = "Only the fast cases (what CI runs).")
  boolean fast;

  @Option(names = "--list", description = "List the cases and exit.")
  boolean list;

  @Option(names = "--dir", paramLabel = "DIR",
      description = "Run directory: cluster, logs, histories, evidence (default: tests/target/tester/<time>).")
  Path dir;

  @Option(names = "--report-every", paramLabel = "N", defaultValue = "5",
      description = "Print the per-case table every N rounds, 0: only at the end (default: ${DEFAULT-VALUE}).")
  int reportEvery;

  @Option(names = "--keepalive", paramLabel = "D", converter = Converters.Time.class, defaultValue = "200ms",
      description = "Chunk keepalive interval (default: ${DEFAULT-VALUE}).")
  Duration keepalive;

  @Option(names = "--session-timeout", paramLabel = "D", converter = Converters.Time.class, defaultValue = "2s",
      description = "Chunk session timeout (default: ${DEFAULT-VALUE}).")
  Duration sessionTimeout;

  @Option(names = "--pause-budget", paramLabel = "D", converter = Converters.Time.class, defaultValue = "30s",
      description = "Longest QD1 write pause a case may cause (default: ${DEFAULT-VALUE}).")
  Duration pauseBudget;

  @Option(names = "--redundancy-timeout", paramLabel = "D", converter = Converters.Time.class,
      defaultValue = "120s", description = "How long full redundancy may take after a case (default: "
      + "${DEFAULT-VALUE}).")
  Duration redundancyTimeout;

  @Option(names = "--no-fio", description = "Run without the fio --verify load.")
  boolean noFio;

  private final PrintStream out;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  TesterMain(PrintStream out) {
    this.out = out;
  }

  public static void main(String[] args) {
    System.exit(run(System.out, System.err, args));
  }

  static int run(PrintStream out, PrintStream err, String... args) {
    CommandLine cmd = new CommandLine(new TesterMain(out));
    cmd.setOut(new java.io.PrintWriter(out, true));
    cmd.setErr(new java.io.PrintWriter(err, true));
    cmd.setExecutionExceptionHandler((e, c, parsed) -> {
      err.println("basalt-tester: " + e.getMessage());
      return 2;
    });
    cmd.setParameterExceptionHandler((e, a) -> {
      err.println("basalt-tester: " + e.getMessage());
      err.println("run 'bin/basalt-tester --help' for the options");
      return 2;
    });
    return cmd.execute(args);
  }

  @Override
  public Integer call() throws Exception {
    CaseCatalog catalog = new CaseCatalog();
    if (list) {
      catalog.all().forEach(c -> out.printf("%-32s %s%s%n", c.name(), c.fast() ? "[fast] " : "", c.summary()));
      return 0;
    }
    if (rounds != null && rounds < 1) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--rounds must be at least 1");
    }
    if (duration != null && (duration.isZero() || duration.isNegative())) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--duration must be positive");
    }
    List<FaultCase> chosen;
    try {
      chosen = catalog.select(cases, fast);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage());
    }
    long s = seed != null ? seed : ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
    int r = rounds != null ? rounds : duration != null ? 0 : 1;
    Path runDir = (dir != null ? dir : Path.of(System.getProperty("basalt.repo.root", "."), "tests", "target",
        "tester", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")))).toAbsolutePath();
    TesterOptions o = new TesterOptions(r, duration, s, cases, fast, runDir, reportEvery, keepalive, sessionTimeout,
        pauseBudget, redundancyTimeout, !noFio, String.join(" ", spec.commandLine().getParseResult().originalArgs()));
    java.nio.file.Files.createDirectories(runDir);
    // the JVM's own log (logback-tester.xml) and stray prints go to files: stdout carries the tester's lines only
    System.setProperty("basalt.tester.log", runDir.resolve("tester-jvm.log").toString());
    PrintStream jvmOut = new PrintStream(new java.io.FileOutputStream(runDir.resolve("tester-jvm.out").toFile(),
        true), true, java.nio.charset.StandardCharsets.UTF_8);
    System.setOut(jvmOut);
    System.setErr(jvmOut);
    TesterLog log = new TesterLog(out, runDir.resolve("tester.log"));
    log.line("basalt-tester: " + (r > 0 ? r + " rounds" : "") + (duration != null ? (r > 0 ? ", at most " : "")
        + duration : "") + " of " + chosen.size() + " cases; run directory " + runDir);
    return new Tester(o, chosen, log).run();
  }
}
