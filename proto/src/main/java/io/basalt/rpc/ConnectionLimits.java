package io.basalt.rpc;

import java.time.Duration;

/**
 * What one peer may hold of an {@link RpcServer}, so that hostile or broken clients cost bounded memory and
 * connections: an idle timeout counted in complete frames (a slowloris trickling bytes of a frame that never
 * completes is idle too), a cap on open connections (above it new ones get one UNAVAILABLE frame and are closed),
 * and per connection a cap on requests in flight (decoded but whose reply is not yet written) in bytes and in
 * count: above either the server stops reading that connection until replies drain; it never closes it for that.
 *
 * @param idleTimeout a connection that completes no frame for this long, with nothing in flight, is closed. Five
 *     minutes by default: chunk and block clients keep connections idle between I/O (and close their own idle ones
 *     first, see {@link RpcClient#DEFAULT_IDLE_CLOSE}); keepalive connections to meta send every second
 * @param maxConnections open connections per server; the next one is refused
 * @param maxInFlightBytes request bytes (header and payload) plus reply bytes not yet written, per connection
 * @param maxInFlightRequests requests in flight per connection
 */
public record ConnectionLimits(Duration idleTimeout, int maxConnections, long maxInFlightBytes,
    int maxInFlightRequests) {
  /** Four frames of the default limit in flight per connection: plenty for a client shared by every volume. */
  public static final ConnectionLimits DEFAULT =
      new ConnectionLimits(Duration.ofMinutes(5), 4096, 128L << 20, 4096);

  public ConnectionLimits {
    if (idleTimeout == null || idleTimeout.isNegative() || idleTimeout.isZero()) {
      throw new IllegalArgumentException("idleTimeout must be positive: " + idleTimeout);
    }
    if (maxConnections < 1 || maxInFlightBytes < 1 || maxInFlightRequests < 1) {
      throw new IllegalArgumentException("connection limits must be >= 1: maxConnections=" + maxConnections
          + " maxInFlightBytes=" + maxInFlightBytes + " maxInFlightRequests=" + maxInFlightRequests);
    }
  }

  public ConnectionLimits withIdleTimeout(Duration timeout) {
    return new ConnectionLimits(timeout, maxConnections, maxInFlightBytes, maxInFlightRequests);
  }

  public ConnectionLimits withMaxConnections(int connections) {
    return new ConnectionLimits(idleTimeout, connections, maxInFlightBytes, maxInFlightRequests);
  }

  public ConnectionLimits withMaxInFlight(long bytes, int requests) {
    return new ConnectionLimits(idleTimeout, maxConnections, bytes, requests);
  }
}
