package io.basalt.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One interactive {@code qemu-io} process on one NBD connection that stays open between commands: each
 * {@link #run} sends a command on stdin and returns what qemu-io printed up to its next prompt. Lets a test act
 * on a connection opened <em>before</em> something else happened (another server's write, a resize). Commands
 * are those of {@code qemu-io -c}: {@code read -P 0xab 0 1M}, {@code write -z 0 64k}, {@code discard 0 64k},
 * {@code flush}, {@code length}.
 */
public final class QemuIoSession implements AutoCloseable {
  private static final String PROMPT = "qemu-io> ";
  private static final String END = "\u0000end";

  private final Process process;
  private final Writer stdin;
  private final BlockingQueue<String> outputs = new LinkedBlockingQueue<>();
  private final Duration timeout;

  private QemuIoSession(Process process, Duration timeout) {
    this.process = process;
    this.timeout = timeout;
    this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    Thread reader = new Thread(this::readOutput, "qemu-io-output");
    reader.setDaemon(true);
    reader.start();
  }

  /** Opens {@code uri} (raw format) and waits for the first prompt: the NBD handshake is done. */
  public static QemuIoSession open(String uri, Duration timeout) {
    ExternalTools.assumeInstalled("qemu-io");
    try {
      Process p = new ProcessBuilder(List.of("qemu-io", "-f", "raw", uri)).redirectErrorStream(true).start();
      QemuIoSession s = new QemuIoSession(p, timeout);
      String banner = s.next("open " + uri);
      assertThat(banner).as("qemu-io opening %s", uri).doesNotContain("Could not open", "can't open");
      return s;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs one command and returns its output (without the prompt). */
  public String run(String command) {
    try {
      stdin.write(command + "\n");
      stdin.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("qemu-io exited before '" + command + "'", e);
    }
    return next(command);
  }

  /** Runs one command and fails unless qemu-io reported neither an error nor a pattern mismatch. */
  public String runOk(String command) {
    String out = run(command);
    assertThat(out).as("qemu-io '%s'", command)
        .doesNotContain("failed", "error", "Error", "Pattern verification");
    return out;
  }

  private String next(String what) {
    try {
      String out = outputs.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (out == null) {
        throw new AssertionError("qemu-io gave no prompt within " + timeout + " after " + what);
      }
      if (out.endsWith(END)) {
        throw new AssertionError("qemu-io exited after " + what + ": " + out.substring(0, out.length() - END.length()));
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** Splits stdout at each prompt; the text before the first prompt is the open's output. */
  private void readOutput() {
    StringBuilder cur = new StringBuilder();
    try (Reader in = new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)) {
      int c;
      while ((c = in.read()) != -1) {
        cur.append((char) c);
        if (cur.length() >= PROMPT.length() && cur.lastIndexOf(PROMPT) == cur.length() - PROMPT.length()) {
          outputs.add(cur.substring(0, cur.length() - PROMPT.length()));
          cur.setLength(0);
        }
      }
    } catch (IOException e) {
      cur.append(e);
    }
    outputs.add(cur + END);
  }

  /** Quits qemu-io (closing the connection) and waits for it; kills it if it hangs. */
  @Override
  public void close() {
    try {
      stdin.write("quit\n");
      stdin.close();
    } catch (IOException e) {
      // exited already
    }
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
