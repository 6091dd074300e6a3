package io.basalt.chunk.recovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.util.concurrent.RateLimiter;
import io.basalt.common.ManualClock;
import io.basalt.chunk.core.ClientActivity;
import org.junit.jupiter.api.Test;

class CopyThrottleTest {
  private final CopyThrottle throttle = new CopyThrottle(RateLimiter.create(200 << 20),
      new ClientActivity(new ManualClock()), 0.25);

  @Test
  void aBusyChunkCountsEachCopiedByteFourTimesAtAQuarterShare() {
    assertThat(throttle.permits(1 << 20, false)).isEqualTo(1 << 20);
    assertThat(throttle.permits(1 << 20, true)).isEqualTo(4 << 20);
    assertThat(throttle.permits(Integer.MAX_VALUE, true)).isEqualTo(Integer.MAX_VALUE);
  }

  @Test
  void theRateFollowsMetaAndTheShareIsChecked() {
    throttle.setBytesPerSec(50 << 20);
    assertThat(throttle.bytesPerSec()).isEqualTo(50 << 20);
    assertThatThrownBy(() -> new CopyThrottle(RateLimiter.create(1), new ClientActivity(new ManualClock()), 0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
