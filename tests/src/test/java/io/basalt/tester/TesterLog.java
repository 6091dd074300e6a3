package io.basalt.tester;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;

/**
 * The tester's own log: one line per step on stdout, each with the time and, inside a case, its
 * {@code [round#R case#C]} prefix; every line is also appended to {@code tester.log} in the run's directory.
 */
final class TesterLog {
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");
  private final PrintStream out;
  private final Path file;
  private volatile String prefix = "";

  TesterLog(PrintStream out, Path file) {
    this.out = out;
    this.file = file;
  }

  /** Sets the {@code [round#R case#C]} prefix of the lines that follow (0, 0: none). */
  void at(int round, int caseNumber) {
    prefix = round == 0 ? "" : "[round#" + round + " case#" + caseNumber + "] ";
  }

  void line(String text) {
    String l = LocalTime.now().format(TIME) + " " + prefix + text;
    synchronized (this) {
      out.println(l);
      out.flush();
      try {
        Files.createDirectories(file.getParent());
        Files.writeString(file, l + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write " + file, e);
      }
    }
  }

  /** A line without time or prefix (tables, the last line). */
  synchronized void raw(String text) {
    out.println(text);
    out.flush();
    try {
      Files.writeString(file, text + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
