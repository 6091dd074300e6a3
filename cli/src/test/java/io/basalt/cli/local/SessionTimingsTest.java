package io.basalt.cli.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SessionTimingsTest {
  static final Duration MS500 = Duration.ofMillis(500);
  static final Duration S3 = Duration.ofSeconds(3);

  @Test
  void defaultsPassNoFlags() {
    assertThat(SessionTimings.DEFAULTS.args()).isEmpty();
    assertThat(SessionTimings.DEFAULTS.effectiveKeepaliveInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(SessionTimings.DEFAULTS.effectiveSessionTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(SessionTimings.DEFAULTS).hasToString(
        "keepalive interval 1s (default), session timeout 10s (default)");
    SessionTimings.DEFAULTS.validate();
  }

  @Test
  void givenFlagsArePassedAsTyped() {
    SessionTimings t = new SessionTimings(MS500, S3);
    assertThat(t.args()).containsExactly("--keepalive-interval", "500ms", "--session-timeout", "3s");
    assertThat(t).hasToString("keepalive interval 500ms, session timeout 3s");
    assertThat(new SessionTimings(null, Duration.ofMillis(2500)).args())
        .containsExactly("--session-timeout", "2500ms");
    t.validate();
  }

  @Test
  void timeoutMustBeAtLeastTwiceTheInterval() {
    new SessionTimings(MS500, Duration.ofSeconds(1)).validate(); // exactly twice is enough
    assertThatThrownBy(() -> new SessionTimings(MS500, Duration.ofMillis(999)).validate())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--session-timeout 999ms must be at least twice --keepalive-interval 500ms, so that a "
            + "session survives one lost keepalive");
    // against a default: the message says which one was not given
    assertThatThrownBy(() -> new SessionTimings(null, Duration.ofMillis(1500)).validate())
        .hasMessageStartingWith("--session-timeout 1500ms must be at least twice --keepalive-interval 1s "
            + "(the default),");
    assertThatThrownBy(() -> new SessionTimings(Duration.ofSeconds(6), null).validate())
        .hasMessageStartingWith("--session-timeout 10s (the default) must be at least twice "
            + "--keepalive-interval 6s,");
    assertThatThrownBy(() -> new SessionTimings(Duration.ZERO, null).validate())
        .hasMessage("--keepalive-interval must be positive, not 0ms");
  }

  @Test
  void unsetFieldsComeFromTheRecordedOnes() {
    SessionTimings recorded = new SessionTimings(MS500, S3);
    assertThat(SessionTimings.DEFAULTS.orElse(recorded)).isEqualTo(recorded);
    assertThat(new SessionTimings(null, Duration.ofSeconds(4)).orElse(recorded))
        .isEqualTo(new SessionTimings(MS500, Duration.ofSeconds(4)));
    assertThat(new SessionTimings(null, Duration.ofSeconds(10)).sameEffect(SessionTimings.DEFAULTS)).isTrue();
    assertThat(recorded.sameEffect(SessionTimings.DEFAULTS)).isFalse();
  }
}
