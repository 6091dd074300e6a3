package io.basalt.it.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.common.HostPort;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.concurrent.CompletableFuture;

/** Blocking-socket helpers for {@link FaultProxyTest}: plain sockets keep the proxy's clients independent of Netty. */
final class Sockets {
  static final int TIMEOUT_MS = 5000;

  private Sockets() {}

  static Socket connect(String hostPort) throws IOException {
    Socket s = new Socket();
    s.connect(HostPort.parse(hostPort).toSocketAddress(), TIMEOUT_MS);
    s.setSoTimeout(TIMEOUT_MS);
    s.setTcpNoDelay(true);
    return s;
  }

  /** Writes {@code data} from another thread (so neither side's buffers can deadlock) and reads as many bytes. */
  static byte[] exchange(Socket writeTo, Socket readFrom, byte[] data) throws IOException {
    CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
      try {
        for (int off = 0; off < data.length; off += 16 * 1024) {
          writeTo.getOutputStream().write(data, off, Math.min(16 * 1024, data.length - off));
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    byte[] got = readFrom.getInputStream().readNBytes(data.length);
    writer.join();
    return got;
  }

  static byte[] echo(Socket s, byte[] data) throws IOException {
    return exchange(s, s, data);
  }

  /** Asserts the peer closed {@code s}: EOF or reset, not a timeout. */
  static void assertClosedByPeer(Socket s) throws IOException {
    s.setSoTimeout(TIMEOUT_MS);
    InputStream in = s.getInputStream();
    try {
      assertThat(in.read()).as("read on a connection the proxy closed").isEqualTo(-1);
    } catch (SocketException reset) {
      // "Connection reset" is as good as EOF
    }
  }

  /** Asserts nothing arrives on {@code s} within {@code millis} while the connection stays open. */
  static void assertSilent(Socket s, int millis) throws IOException {
    s.setSoTimeout(millis);
    try {
      int b = s.getInputStream().read();
      throw new AssertionError(b < 0 ? "connection was closed" : "unexpected byte " + b);
    } catch (SocketTimeoutException expected) {
      // nothing arrived, connection still open
    } finally {
      s.setSoTimeout(TIMEOUT_MS);
    }
  }

  /** A client connected through a proxy plus the target side of the same connection, for one-way assertions. */
  record Pair(Socket client, Socket server) implements AutoCloseable {
    static Pair open(FaultProxy proxy, ServerSocket target) throws IOException {
      Socket client = connect(proxy.address());
      target.setSoTimeout(TIMEOUT_MS);
      Socket server = target.accept();
      server.setSoTimeout(TIMEOUT_MS);
      server.setTcpNoDelay(true);
      return new Pair(client, server);
    }

    @Override
    public void close() throws IOException {
      client.close();
      server.close();
    }
  }
}
