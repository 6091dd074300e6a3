package io.basalt.it.faults;

/**
 * Which way bytes travel through a {@link FaultProxy}. The client is whoever connected to the proxy, the server is
 * the proxy's target; faults such as one-way loss and the bandwidth limit are set per direction because real
 * networks fail asymmetrically (a route that loses only replies is a classic source of in-doubt operations).
 */
public enum Direction {
  CLIENT_TO_SERVER,
  SERVER_TO_CLIENT;

  /** The opposite direction. */
  public Direction reverse() {
    return this == CLIENT_TO_SERVER ? SERVER_TO_CLIENT : CLIENT_TO_SERVER;
  }
}
