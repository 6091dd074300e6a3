package io.basalt.chunk.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ClientActivityTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final ClientActivity activity = new ClientActivity(now::get);

  @Test
  void idleUntilMarkedThenBusyForTheWindow() {
    assertThat(activity.busy()).isFalse();
    activity.mark();
    assertThat(activity.busy()).isTrue();
    now.addAndGet(ClientActivity.WINDOW_NANOS - 1);
    assertThat(activity.busy()).isTrue();
    now.addAndGet(1);
    assertThat(activity.busy()).isFalse();
  }

  @Test
  void marksWithinAMillisecondKeepTheFirstAndLaterOnesMoveTheWindow() {
    activity.mark();
    now.addAndGet(TimeUnit.MICROSECONDS.toNanos(500));
    activity.mark(); // within the granularity: not written
    now.addAndGet(ClientActivity.WINDOW_NANOS - TimeUnit.MICROSECONDS.toNanos(500));
    assertThat(activity.busy()).as("window counted from the first mark").isFalse();
    activity.mark();
    now.addAndGet(ClientActivity.WINDOW_NANOS / 2);
    assertThat(activity.busy()).isTrue();
  }
}
