package io.basalt.client.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.basalt.client.nbd.RawNbdClient.Reply;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Requests are issued as they arrive, answered out of order, bounded per connection, and drained on DISC. */
@ExtendWith(NoLeaksExtension.class)
class NbdPipeliningTest {
  private static final int MAX_IN_FLIGHT = 4;
  private final MemoryVolume volume = new MemoryVolume("vol", 1 << 20);
  private NbdTestServer server;

  @BeforeEach
  void start() {
    server = new NbdTestServer().add(volume).start(NbdServerConfig.defaults().withMaxInFlight(MAX_IN_FLIGHT));
  }

  @AfterEach
  void stop() {
    volume.resume();
    server.close();
  }

  @Test
  void aSlowReadDoesNotHoldBackALaterWrite() throws Exception {
    try (RawNbdClient client = RawNbdClient.open(server.port(), "vol")) {
      volume.pause(true);
      client.read(1, 0, 4096);
      client.write(2, 4096, NbdTransmissionTest.random(4096));

      assertThat(client.readReply()).isEqualTo(new Reply(0, 2));
      volume.resume();
      assertThat(client.readReply()).isEqualTo(new Reply(0, 1));
      assertThat(client.readData(4096)).hasSize(4096);
    }
  }

  @Test
  void inFlightRequestsAreBoundedAndAllAnswered() throws Exception {
    int requests = 40;
    try (RawNbdClient client = RawNbdClient.open(server.port(), "vol")) {
      volume.pause(false);
      for (int i = 0; i < requests; i++) {
        client.write(i, (long) i * 4096, NbdTransmissionTest.random(4096));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> volume.pending() == MAX_IN_FLIGHT);
      volume.resume();

      Set<Long> handles = new HashSet<>();
      for (int i = 0; i < requests; i++) {
        Reply reply = client.readReply();
        assertThat(reply.error()).isZero();
        handles.add(reply.handle());
      }
      assertThat(handles).hasSize(requests);
    }
    assertThat(volume.maxPending()).isEqualTo(MAX_IN_FLIGHT);
  }

  @Test
  void discAnswersOutstandingRequestsBeforeClosing() throws Exception {
    try (RawNbdClient client = RawNbdClient.open(server.port(), "vol")) {
      volume.pause(false);
      client.write(1, 0, NbdTransmissionTest.random(4096));
      client.request(0, NbdCommand.FLUSH.code, 2, 0, 0, null);
      client.request(0, NbdCommand.DISC.code, 3, 0, 0, null);
      await().atMost(Duration.ofSeconds(10)).until(() -> volume.pending() == 2);
      assertThat(server.server().connectionCount()).isEqualTo(1);

      volume.resume();
      Set<Long> handles = Set.of(client.readReply().handle(), client.readReply().handle());
      assertThat(handles).containsExactlyInAnyOrder(1L, 2L);
      assertThat(client.closedByServer()).isTrue();
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> server.server().connectionCount() == 0);
  }

  @Test
  void connectionGaugeCountsOpenConnections() throws Exception {
    try (RawNbdClient a = RawNbdClient.open(server.port(), "vol");
        RawNbdClient b = RawNbdClient.connect(server.port())) {
      await().atMost(Duration.ofSeconds(5))
          .until(() -> (Integer) server.metrics.getGauges().get(NbdMetrics.CONNECTIONS).getValue() == 2);
    }
    await().atMost(Duration.ofSeconds(5))
        .until(() -> (Integer) server.metrics.getGauges().get(NbdMetrics.CONNECTIONS).getValue() == 0);
  }
}
