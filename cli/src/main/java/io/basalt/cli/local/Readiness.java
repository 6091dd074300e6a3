package io.basalt.cli.local;

import io.basalt.cli.core.CliException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Bounded waits for local-cluster processes to serve. Every wait polls a check, fails at once when a watched
 * process dies (it will not become ready) and fails with a clear message when the time is up.
 */
final class Readiness {
  private static final long POLL_MS = 250;
  private final Duration timeout;

  Readiness(Duration timeout) {
    this.timeout = timeout;
  }

  /** Waits until {@code r}'s serving port accepts TCP connections and {@code alsoReady} says so too. */
  void awaitPort(ProcessRecord r, List<ProcessRecord> watched, BooleanSupplier alsoReady) {
    await(r.name() + " to accept connections on " + r.address(), watched, () -> List.of(r),
        () -> portOpen(r.address()) && alsoReady.getAsBoolean());
  }

  /**
   * Polls {@code check} until it says true. A check that throws counts as not yet, and its message is reported if
   * time runs out; a {@link CliException} is a definite failure and passes through. Fails when a process in
   * {@code watched} is no longer running, or after the timeout, naming {@code culprits} (whose logs explain it).
   */
  void await(String what, List<ProcessRecord> watched, Supplier<List<ProcessRecord>> culprits,
      BooleanSupplier check) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String lastError = null;
    while (true) {
      for (ProcessRecord r : watched) {
        if (!LocalProcesses.isRunning(r)) {
          throw new LaunchException(r.name() + " (pid " + r.pid() + ") exited while waiting for " + what,
              List.of(r));
        }
      }
      try {
        if (check.getAsBoolean()) {
          return;
        }
      } catch (CliException e) {
        throw e; // a definite failure, not "not yet"
      } catch (RuntimeException e) {
        lastError = e.getMessage();
      }
      if (System.nanoTime() > deadline) {
        List<ProcessRecord> late = culprits.get();
        throw new LaunchException("timed out after " + timeout.toSeconds() + " s waiting for " + what
            + " (still waiting for " + String.join(", ", late.stream().map(ProcessRecord::name).toList()) + ")"
            + (lastError == null ? "" : "; last error: " + lastError), late);
      }
      LocalProcesses.sleep(POLL_MS);
    }
  }

  static boolean portOpen(String address) {
    int colon = address.lastIndexOf(':');
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1))),
          500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Whether {@code host:port} can be bound (SO_REUSEADDR, so a port in TIME_WAIT counts as free). */
  static boolean portFree(String host, int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(host, port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
