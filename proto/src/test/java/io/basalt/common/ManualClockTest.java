package io.basalt.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ManualClockTest {
  @Test
  void movesOnlyWhenAdvancedAndNeverBack() {
    ManualClock clock = new ManualClock(5);
    assertThat(clock.nanoTime()).isEqualTo(5);
    assertThat(clock.getAsLong()).isEqualTo(5);
    clock.advanceMillis(2);
    assertThat(clock.nanoTime()).isEqualTo(2_000_005);
    assertThat(clock.millis()).isEqualTo(2);
    assertThatThrownBy(() -> clock.advance(Duration.ofNanos(-1))).isInstanceOf(IllegalArgumentException.class);
    assertThat(clock.nanoTime()).isEqualTo(2_000_005);
  }

  @Test
  void theSystemClockIsMonotonic() {
    long a = MonotonicClock.SYSTEM.nanoTime();
    assertThat(MonotonicClock.SYSTEM.nanoTime()).isGreaterThanOrEqualTo(a);
  }
}
