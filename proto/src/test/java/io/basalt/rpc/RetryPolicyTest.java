package io.basalt.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
  /** A random source that always draws {@code fraction} of the bound (0: the lowest value, 1: the highest). */
  private static RandomGenerator drawing(double fraction) {
    return new RandomGenerator() {
      @Override
      public long nextLong() {
        throw new UnsupportedOperationException();
      }

      @Override
      public long nextLong(long bound) {
        return Math.min(bound - 1, (long) (bound * fraction));
      }
    };
  }

  @Test
  void stepsDoubleFromInitialUpToTheCap() {
    RetryPolicy p = RetryPolicy.exponential(Duration.ofMillis(10), Duration.ofMillis(100), 0);

    assertThat(p.delayMillis(0)).isEqualTo(10);
    assertThat(p.delayMillis(1)).isEqualTo(20);
    assertThat(p.delayMillis(3)).isEqualTo(80);
    assertThat(p.delayMillis(4)).isEqualTo(100);
    assertThat(p.delayMillis(1_000)).isEqualTo(100); // no overflow however many retries
    assertThat(p.delayMillis(-1)).isEqualTo(10);
  }

  @Test
  void jitterDrawsWithinTheRandomPartOfTheStep() {
    RetryPolicy p = RetryPolicy.exponential(Duration.ofMillis(20), Duration.ofSeconds(1), 0.5);

    assertThat(p.delayMillis(0, drawing(0))).isEqualTo(10);
    assertThat(p.delayMillis(0, drawing(1))).isEqualTo(20);
    assertThat(p.delayMillis(2, drawing(0.5))).isEqualTo(60);
    assertThat(p.delayMillis(10, drawing(0))).isEqualTo(500);
    assertThat(p.delayMillis(10, drawing(1))).isEqualTo(1000);
    for (int retry = 0; retry < 12; retry++) {
      assertThat(p.delayMillis(retry)).isBetween(p.stepMillis(retry) / 2, p.stepMillis(retry));
    }
  }

  @Test
  void fullJitterMayDrawZero() {
    RetryPolicy p = RetryPolicy.exponential(Duration.ofMillis(100), Duration.ofMillis(100), 1);

    assertThat(p.delayMillis(0, drawing(0))).isZero();
    assertThat(p.delayMillis(0, drawing(1))).isEqualTo(100);
  }

  @Test
  void presetsKeepEachCallersFormerConstants() {
    for (int n = 0; n < 40; n++) {
      // IoRouter: min(maxBackoff, 10 << min(retries, 16)), maxBackoff 100 ms by default
      assertThat(RetryPolicy.CLIENT_IO.delayMillis(n)).isEqualTo(Math.min(100, 10L << Math.min(n, 16)));
      assertThat(RetryPolicy.CLIENT_IO.withMax(Duration.ofSeconds(2)).delayMillis(n))
          .isEqualTo(Math.min(2000, 10L << Math.min(n, 16)));
      // MetaClient: step = min(1000, 20 << min(n, 6)); step / 2 + random(0..step / 2)
      long step = Math.min(1000, 20L << Math.min(n, 6));
      assertThat(RetryPolicy.META_CALL.delayMillis(n, drawing(0))).isEqualTo(step / 2);
      assertThat(RetryPolicy.META_CALL.delayMillis(n, drawing(1))).isEqualTo(step);
      // ReplicaPipes: min(1000, 25 << min(max(failures - 1, 0), 10)), called with failures - 1
      int failures = n + 1;
      assertThat(RetryPolicy.REPLICATE.delayMillis(failures - 1))
          .isEqualTo(Math.min(1000, 25L << Math.min(Math.max(failures - 1, 0), 10)));
      // RecoveryTask: min(maxBackoff (1 s), 50 << min(failures, 8))
      assertThat(RetryPolicy.RECOVERY.withMax(Duration.ofSeconds(1)).delayMillis(n))
          .isEqualTo(Math.min(1000, 50L << Math.min(n, 8)));
    }
    assertThat(RetryPolicy.ZK_CLIENT.maxAttempts()).isEqualTo(5);
    assertThat(RetryPolicy.ZK_CLIENT.initial()).isEqualTo(Duration.ofMillis(100));
    assertThat(RetryPolicy.ZK_CLIENT.max()).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void attemptCapAllowsOnlyThatManyRetries() {
    RetryPolicy capped = RetryPolicy.fixed(Duration.ofSeconds(1)).withMaxAttempts(2);

    assertThat(capped.allows(0)).isTrue();
    assertThat(capped.allows(1)).isTrue();
    assertThat(capped.allows(2)).isFalse();
    assertThat(capped.delayMillis(7)).isEqualTo(1000);
    assertThat(RetryPolicy.CLIENT_IO.allows(Integer.MAX_VALUE - 1)).isTrue();
  }

  @Test
  void aCapBelowTheInitialWaitLowersBoth() {
    RetryPolicy p = RetryPolicy.RECOVERY.withMax(Duration.ofMillis(20));

    assertThat(p.initial()).isEqualTo(Duration.ofMillis(20));
    assertThat(p.delayMillis(0)).isEqualTo(20);
    assertThat(p.delayMillis(5)).isEqualTo(20);
  }

  @Test
  void refusesNonsense() {
    assertThatThrownBy(() -> new RetryPolicy(Duration.ofMillis(-1), Duration.ofMillis(1), 2, 0, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RetryPolicy(Duration.ofMillis(10), Duration.ofMillis(5), 2, 0, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RetryPolicy(Duration.ofMillis(10), Duration.ofMillis(50), 0.5, 0, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RetryPolicy(Duration.ofMillis(10), Duration.ofMillis(50), 2, 1.5, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RetryPolicy(Duration.ofMillis(10), Duration.ofMillis(50), 2, Double.NaN, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RetryPolicy(Duration.ofMillis(10), Duration.ofMillis(50), 2, 0, -1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
