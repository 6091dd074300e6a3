package io.basalt.chunk.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.common.ManualClock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ClientActivityTest {
  private final ManualClock now = new ManualClock();
  private final ClientActivity activity = new ClientActivity(now);

  @Test
  void idleUntilMarkedThenBusyForTheWindow() {
    assertThat(activity.busy()).isFalse();
    activity.mark();
    assertThat(activity.busy()).isTrue();
    now.advance(Duration.ofNanos(ClientActivity.WINDOW_NANOS - 1));
    assertThat(activity.busy()).isTrue();
    now.advance(Duration.ofNanos(1));
    assertThat(activity.busy()).isFalse();
  }

  @Test
  void marksWithinAMillisecondKeepTheFirstAndLaterOnesMoveTheWindow() {
    activity.mark();
    now.advance(Duration.ofNanos(TimeUnit.MICROSECONDS.toNanos(500)));
    activity.mark(); // within the granularity: not written
    now.advance(Duration.ofNanos(ClientActivity.WINDOW_NANOS - TimeUnit.MICROSECONDS.toNanos(500)));
    assertThat(activity.busy()).as("window counted from the first mark").isFalse();
    activity.mark();
    now.advance(Duration.ofNanos(ClientActivity.WINDOW_NANOS / 2));
    assertThat(activity.busy()).isTrue();
  }
}
