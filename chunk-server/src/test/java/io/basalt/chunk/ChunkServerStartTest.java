package io.basalt.chunk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.basalt.common.HostPort;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chunk server's start/stop order ({@code ServiceStack}): a start that fails half-way (its RPC port is taken)
 * stops exactly what had started, so the RocksDB directory opens again at once; a close stops every part.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChunkServerStartTest {
  @TempDir Path dir;
  private final FakeMeta meta = new FakeMeta();

  @AfterEach
  void stop() {
    meta.close();
  }

  private ChunkConfig config() {
    return ChunkConfig.of(dir.resolve("chunk"), meta.address()).withThreads(2, 2);
  }

  @Test
  void aStartThatFailsHalfWayStopsWhatHadStarted() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
      HostPort busy = new HostPort("127.0.0.1", taken.getLocalPort());
      ChunkServer onTakenPort = new ChunkServer(config().withListen(busy));
      // Netty's bind failure (a checked IOException, thrown sneakily) must close the stack like any other
      assertThatThrownBy(onTakenPort::start).hasMessageContaining("already in use");
      assertThat(onTakenPort.runningParts()).as("parts left running after the failed start").isEmpty();
      assertThat(meta.registrations()).as("it never got as far as registering").isEmpty();
      onTakenPort.close(); // idempotent after the failed start
    }

    // The store was closed (RocksDB's lock released): a chunk server on the same directory starts and serves.
    try (ChunkServer again = new ChunkServer(config()).start()) {
      assertThat(again.cid()).isPositive();
      // the stop order, unchanged from the hand-written one it replaced
      assertThat(again.runningParts()).containsExactly("heartbeat loop", "session rpc", "metrics endpoint",
          "rpc server", "session", "recovery runner", "peer rpc", "ordered executor", "owner table",
          "meta reports client", "replica pipes", "io pool", "meta client", "meta rpc", "meta locator", "disk poll",
          "store"); // the disk poll probes the store: it stops just before it
      again.close();
      assertThat(again.runningParts()).isEmpty();
    }
  }
}
