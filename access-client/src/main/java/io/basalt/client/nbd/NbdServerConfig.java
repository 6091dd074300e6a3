package io.basalt.client.nbd;

import com.codahale.metrics.MetricRegistry;
import java.time.Duration;

/**
 * Settings of one {@link NbdServer}. Immutable; build from {@link #defaults()} and the {@code withX} copies.
 *
 * @param maxRequestSize largest READ or WRITE payload accepted, advertised as the maximum block size; a larger READ
 *     gets EINVAL, a larger WRITE closes the connection (its payload would have to be buffered first)
 * @param maxInFlight requests per connection handed to the volume at once; beyond it the connection stops reading
 * @param maxInFlightBytes READ/WRITE bytes per connection held at once (payloads and read buffers); beyond it the
 *     connection stops reading, so memory per connection stays near this bound whatever the request count
 * @param minBlockSize advertised minimum block size (power of two, at most 64 KiB); requests not aligned to it get
 *     EINVAL. 512 matches {@link io.basalt.client.volume.Volume} (aligned-to-512 I/O works); 1 disables the check
 * @param defaultExport volume served for an empty export name, or null to treat "" as unknown
 * @param handshakeTimeout connections that have not reached the transmission phase by then are closed
 * @param ioThreads Netty event loop threads; 0 = Netty's default (twice the cores)
 * @param metrics registry for timers, counters and the connection gauge, or null for none
 */
public record NbdServerConfig(
    int maxRequestSize,
    int maxInFlight,
    long maxInFlightBytes,
    int minBlockSize,
    String defaultExport,
    Duration handshakeTimeout,
    int ioThreads,
    MetricRegistry metrics) {
  /** 32 MiB: the protocol asks clients to stay at or below it and servers not to treat it as abuse. */
  public static final int DEFAULT_MAX_REQUEST_SIZE = 32 << 20;
  public static final int DEFAULT_MAX_IN_FLIGHT = 128;
  public static final long DEFAULT_MAX_IN_FLIGHT_BYTES = 64L << 20;
  public static final int DEFAULT_MIN_BLOCK_SIZE = 512;
  public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(30);

  public NbdServerConfig {
    if (minBlockSize < 1 || minBlockSize > 65536 || Integer.bitCount(minBlockSize) != 1) {
      throw new IllegalArgumentException("minBlockSize must be a power of two in [1, 65536]: " + minBlockSize);
    }
    if (maxRequestSize < 4096 || maxRequestSize % minBlockSize != 0) {
      throw new IllegalArgumentException(
          "maxRequestSize must be >= 4096 and a multiple of minBlockSize " + minBlockSize + ": " + maxRequestSize);
    }
    if (maxInFlight < 1) throw new IllegalArgumentException("maxInFlight must be >= 1: " + maxInFlight);
    if (maxInFlightBytes < 1) {
      throw new IllegalArgumentException("maxInFlightBytes must be >= 1: " + maxInFlightBytes);
    }
    if (handshakeTimeout == null || handshakeTimeout.isNegative() || handshakeTimeout.isZero()) {
      throw new IllegalArgumentException("handshakeTimeout must be positive: " + handshakeTimeout);
    }
    if (ioThreads < 0) throw new IllegalArgumentException("ioThreads must be >= 0: " + ioThreads);
  }

  public static NbdServerConfig defaults() {
    return new NbdServerConfig(DEFAULT_MAX_REQUEST_SIZE, DEFAULT_MAX_IN_FLIGHT, DEFAULT_MAX_IN_FLIGHT_BYTES,
        DEFAULT_MIN_BLOCK_SIZE, null, DEFAULT_HANDSHAKE_TIMEOUT, 0, null);
  }

  public NbdServerConfig withMaxRequestSize(int bytes) {
    return new NbdServerConfig(bytes, maxInFlight, maxInFlightBytes, minBlockSize, defaultExport, handshakeTimeout,
        ioThreads, metrics);
  }

  public NbdServerConfig withMaxInFlight(int requests) {
    return new NbdServerConfig(maxRequestSize, requests, maxInFlightBytes, minBlockSize, defaultExport,
        handshakeTimeout, ioThreads, metrics);
  }

  public NbdServerConfig withMaxInFlightBytes(long bytes) {
    return new NbdServerConfig(maxRequestSize, maxInFlight, bytes, minBlockSize, defaultExport, handshakeTimeout,
        ioThreads, metrics);
  }

  public NbdServerConfig withMinBlockSize(int bytes) {
    return new NbdServerConfig(maxRequestSize, maxInFlight, maxInFlightBytes, bytes, defaultExport, handshakeTimeout,
        ioThreads, metrics);
  }

  public NbdServerConfig withDefaultExport(String name) {
    return new NbdServerConfig(maxRequestSize, maxInFlight, maxInFlightBytes, minBlockSize, name, handshakeTimeout,
        ioThreads, metrics);
  }

  public NbdServerConfig withHandshakeTimeout(Duration timeout) {
    return new NbdServerConfig(maxRequestSize, maxInFlight, maxInFlightBytes, minBlockSize, defaultExport, timeout,
        ioThreads, metrics);
  }

  public NbdServerConfig withIoThreads(int threads) {
    return new NbdServerConfig(maxRequestSize, maxInFlight, maxInFlightBytes, minBlockSize, defaultExport,
        handshakeTimeout, threads, metrics);
  }

  public NbdServerConfig withMetrics(MetricRegistry registry) {
    return new NbdServerConfig(maxRequestSize, maxInFlight, maxInFlightBytes, minBlockSize, defaultExport,
        handshakeTimeout, ioThreads, registry);
  }
}
