package io.basalt.common;

import java.net.InetSocketAddress;

/** A {@code host:port} address as given on command lines and stored in metadata. */
public record HostPort(String host, int port) {
  public HostPort {
    if (host == null || host.isEmpty()) throw new IllegalArgumentException("empty host");
    if (port < 0 || port > 65535) throw new IllegalArgumentException("port out of range: " + port);
  }

  public static HostPort parse(String s) {
    if (s == null) throw new IllegalArgumentException("address missing (expected HOST:PORT)");
    int colon = s.lastIndexOf(':');
    if (colon <= 0 || colon == s.length() - 1) {
      throw new IllegalArgumentException("bad address '" + s + "' (expected HOST:PORT)");
    }
    try {
      return new HostPort(s.substring(0, colon), Integer.parseInt(s.substring(colon + 1)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad port in address '" + s + "'");
    }
  }

  public InetSocketAddress toSocketAddress() {
    return new InetSocketAddress(host, port);
  }

  @Override
  public String toString() {
    return host + ":" + port;
  }
}
