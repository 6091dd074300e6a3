package io.basalt.cli.status;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Asks one ZooKeeper member what it is, with the four-letter word {@code srvr} over a plain socket: its
 * {@code Mode:} line says leader, follower, observer or standalone. A member that accepted the connection but
 * would not say (the word is not in its {@code 4lw.commands.whitelist}, or the answer did not come in time) is
 * "up"; one that has no quorum answers that it is not serving ("not-serving"); one that refused or did not accept
 * the connection is "unreachable". Blocking; no state.
 */
public final class ZkMemberProbe {
  public static final String UP = "up";
  public static final String NOT_SERVING = "not-serving";
  public static final String UNREACHABLE = "unreachable";
  static final int DEFAULT_PORT = 2181;
  private static final int MAX_REPLY = 64 * 1024;

  private ZkMemberProbe() {}

  /** The members of a connect string, "host:port" each (the default port added, a chroot suffix dropped). */
  public static List<String> members(String connectString) {
    String hosts = connectString;
    int chroot = hosts.indexOf('/');
    if (chroot >= 0) {
      hosts = hosts.substring(0, chroot);
    }
    List<String> out = new ArrayList<>();
    for (String h : hosts.split(",")) {
      String m = h.trim();
      if (m.isEmpty()) {
        continue;
      }
      out.add(m.lastIndexOf(':') > m.lastIndexOf(']') ? m : m + ":" + DEFAULT_PORT);
    }
    return out;
  }

  /** The state of the member at {@code hostPort}; each of connect and read waits at most {@code timeout}. */
  public static String probe(String hostPort, Duration timeout) {
    int colon = hostPort.lastIndexOf(':');
    String host = hostPort.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(hostPort.substring(colon + 1));
    } catch (NumberFormatException e) {
      return UNREACHABLE;
    }
    int millis = (int) Math.max(1, timeout.toMillis());
    try (Socket s = new Socket()) {
      try {
        s.connect(new InetSocketAddress(host, port), millis);
      } catch (IOException | IllegalArgumentException e) {
        return UNREACHABLE;
      }
      try {
        s.setSoTimeout(millis);
        s.getOutputStream().write("srvr".getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        return parse(readAll(s.getInputStream()));
      } catch (SocketTimeoutException e) {
        return UP; // connected, but no answer in time
      } catch (IOException e) {
        return UP; // connected, then closed on us: a server that does not answer four-letter words
      }
    } catch (IOException e) {
      return UNREACHABLE;
    }
  }

  /** The state an answer to {@code srvr} describes. */
  public static String parse(String reply) {
    for (String line : reply.split("\\R")) {
      if (line.startsWith("Mode:")) {
        String mode = line.substring("Mode:".length()).trim().toLowerCase(Locale.ROOT);
        return mode.isEmpty() ? UP : mode;
      }
    }
    if (reply.contains("not currently serving requests")) {
      return NOT_SERVING;
    }
    return UP; // e.g. "srvr is not executed because it is not in the whitelist."
  }

  private static String readAll(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    int n;
    while (out.size() < MAX_REPLY && (n = in.read(buf)) >= 0) {
      out.write(buf, 0, n);
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
