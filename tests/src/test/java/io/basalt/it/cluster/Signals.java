package io.basalt.it.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/** Signals through {@code kill <pid>}, waiting for their effect, and free ports of a {@link ProcessCluster}. */
final class Signals {
  private Signals() {}

  /** A port free on {@code host} now (bound and released at once; the process binds it moments later). */
  static int freePort(String host) {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(host))) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind " + host + " (all of 127/8 must route to lo)", e);
    }
  }

  /** {@code kill -SIG pid}; fails if kill does. */
  static void signal(ClusterNode node, String signal) {
    if (!trySignal(node, signal)) {
      throw new IllegalStateException("kill -" + signal + " " + node + " failed");
    }
  }

  static boolean trySignal(ClusterNode node, String signal) {
    long pid = node.pid();
    if (pid <= 0 || !node.isAlive()) {
      return false;
    }
    try {
      Process p = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Waits for the process to exit (10 s), SIGKILLing it through the JDK as a last resort. */
  static void awaitExit(ClusterNode node) {
    try {
      if (!node.awaitExit(10_000)) {
        node.destroyForcibly();
        if (!node.awaitExit(10_000)) {
          throw new IllegalStateException(node + " survived SIGKILL");
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      node.destroyForcibly();
    }
  }

  /** Waits until /proc shows the process stopped ('T') or, with {@code stopped} false, no longer stopped. */
  static void awaitStopped(ClusterNode node, boolean stopped) {
    Awaitility.await(node + (stopped ? " stopped" : " continued")).atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(5)).until(() -> (node.procState() == 'T') == stopped || !node.isAlive());
  }

  /** SIGCONT then SIGKILL to every live node, then waits for all to exit; none counts as an unexpected death. */
  static void killAll(List<ClusterNode> nodes) {
    nodes.forEach(ClusterNode::markKilled);
    for (ClusterNode n : nodes) {
      if (n.isAlive()) {
        trySignal(n, "CONT");
        trySignal(n, "KILL");
      }
    }
    nodes.forEach(Signals::awaitExit);
  }
}
