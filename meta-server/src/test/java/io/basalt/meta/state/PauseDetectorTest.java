package io.basalt.meta.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The heartbeat of the process's own scheduling, on a fake clock. */
class PauseDetectorTest {
  private static final long MS = 1_000_000L;
  private long now = 5_000 * MS;
  private final PauseDetector detector = new PauseDetector(() -> now, Duration.ofMillis(300));
  private final AtomicInteger hooks = new AtomicInteger();

  PauseDetectorTest() {
    detector.onPause(hooks::incrementAndGet);
  }

  @Test
  void regularBeatsAreNoPause() {
    for (int i = 0; i < 50; i++) {
      now += 100 * MS;
      detector.beat();
    }
    now += 250 * MS; // late, but under the threshold
    detector.beat();
    assertThat(detector.suspected()).isFalse();
    assertThat(detector.pauses()).isZero();
    assertThat(hooks).hasValue(0);
  }

  @Test
  void theHeartbeatThreadRaisesTheSuspicionBeforeItPublishesTheFreshBeat() {
    detector.beat();
    now += 2_000 * MS; // SIGSTOP for two seconds
    detector.beat();
    // the beat is fresh again, but the suspicion it raised first stays until the leader verified
    assertThat(detector.suspected()).isTrue();
    assertThat(hooks).hasValue(1);
    now += 100 * MS;
    detector.beat();
    assertThat(detector.suspected()).isTrue();
    assertThat(detector.pauses()).isEqualTo(1);
  }

  @Test
  void theRequestPathNoticesAPauseBeforeAnyBeatRan() {
    detector.beat();
    now += 2_000 * MS; // resumed: a request is handled before the heartbeat thread ran
    assertThat(detector.suspected()).isTrue();
    assertThat(hooks).hasValue(1);
    detector.beat(); // the late beat does not count the same pause twice
    assertThat(detector.pauses()).isEqualTo(1);
  }

  @Test
  void acknowledgingCoversThePauseUpToNowOnly() {
    now += 2_000 * MS;
    assertThat(detector.suspected()).isTrue();
    detector.acknowledge();
    assertThat(detector.suspected()).isFalse();
    now += 100 * MS;
    detector.beat();
    assertThat(detector.suspected()).isFalse();
    now += 400 * MS;
    assertThat(detector.suspected()).as("a second pause").isTrue();
    assertThat(detector.pauses()).isEqualTo(2);
    assertThat(hooks).hasValue(2);
  }

  @Test
  void thresholdIsAQuarterOfTheZooKeeperTimeoutAndNeverBelowThreeBeats() {
    assertThat(PauseDetector.thresholdFor(Duration.ofSeconds(4))).isEqualTo(Duration.ofSeconds(1));
    assertThat(PauseDetector.thresholdFor(Duration.ofMillis(800))).isEqualTo(Duration.ofMillis(300));
  }
}
