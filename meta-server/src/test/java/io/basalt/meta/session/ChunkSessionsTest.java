package io.basalt.meta.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.meta.state.MetaTables;
import io.basalt.meta.store.MetaImage;
import io.basalt.proto.ChunkRecord;
import io.basalt.proto.ChunkStatus;
import io.basalt.session.SessionConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The session component's state of a term: a fresh table with the takeover grace, dropped with the term. */
class ChunkSessionsTest {
  private static final long NOW = 5_000_000_000L;
  private final ChunkSessions sessions =
      new ChunkSessions(SessionConfig.of(Duration.ofMillis(100), Duration.ofSeconds(1)));

  private static MetaTables tables(ChunkStatus... statuses) {
    List<ChunkRecord> chunks = new ArrayList<>();
    for (int i = 0; i < statuses.length; i++) {
      chunks.add(ChunkRecord.newBuilder().setCid(i + 1).setAddress("127.0.0.1:" + (9001 + i))
          .setStatus(statuses[i]).build());
    }
    return MetaTables.from(new MetaImage("c", MetaImage.FIRST_IDS, chunks, List.of(), Map.of(), List.of()));
  }

  @Test
  void aNewTermWaitsForEveryChunkNotRemovedAndForgetsItAll() {
    assertThat(sessions.table()).isNull();
    assertThat(sessions.chunkAlive(1)).isFalse();

    sessions.onActive(tables(ChunkStatus.HEALTHY, ChunkStatus.SESSION_EXPIRED, ChunkStatus.REMOVED), 4, NOW);
    assertThat(sessions.table().inGrace(NOW)).isTrue();
    assertThat(sessions.table().awaitedChunks(NOW)).as("HEALTHY and SESSION_EXPIRED, not REMOVED").isEqualTo(2);
    assertThat(sessions.chunkAlive(1)).isTrue();
    assertThat(sessions.chunkAlive(2)).isTrue();
    assertThat(sessions.chunkAlive(3)).isFalse();
    assertThat(sessions.table().graceRemainingNanos(NOW)).isPositive();

    sessions.onDrop();
    assertThat(sessions.table()).isNull();
    assertThat(sessions.chunkAlive(1)).isFalse();
    assertThat(sessions.sessionAlive(1, 0)).isFalse();

    sessions.onActive(tables(ChunkStatus.HEALTHY), 5, NOW);
    assertThat(sessions.table().awaitedChunks(NOW)).as("a fresh table each term").isEqualTo(1);
  }
}
