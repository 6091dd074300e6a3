package io.basalt.it.faults;

import io.basalt.common.HostPort;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A blocking echo server on the loopback address, one thread per connection. Deliberately not Netty: it is the
 * independent reference the {@link FaultProxy} is tested against, and {@link #openConnections()} shows from the
 * server's side whether the proxy kept a connection open (blackhole) or closed it (cut).
 */
public final class EchoServer implements AutoCloseable {
  private final ServerSocket server;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private EchoServer() throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::acceptLoop, "echo-accept-" + server.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public static EchoServer start() throws IOException {
    return new EchoServer();
  }

  public HostPort hostPort() {
    return new HostPort(server.getInetAddress().getHostAddress(), server.getLocalPort());
  }

  /** Connections accepted and not yet closed by either side. */
  public int openConnections() {
    return sockets.size();
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket s = server.accept();
        sockets.add(s);
        Thread t = new Thread(() -> pump(s), "echo-" + s.getPort());
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        if (!closed) {
          throw new IllegalStateException("echo server accept failed", e);
        }
      }
    }
  }

  private void pump(Socket s) {
    try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
      byte[] buf = new byte[16 * 1024];
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.write(buf, 0, n);
      }
    } catch (IOException e) {
      // peer reset or server closed: the connection is simply over
    } finally {
      sockets.remove(s);
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    for (Socket s : sockets) {
      s.close();
    }
  }
}
