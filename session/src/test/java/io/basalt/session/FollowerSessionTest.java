package io.basalt.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.session.FollowerSession.State;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class FollowerSessionTest {
  private static final long MS = 1_000_000L;
  // keepalive 100 ms, timeout 1 s, drift margin 100 ms
  private final SessionConfig cfg = SessionConfig.of(Duration.ofMillis(100), Duration.ofSeconds(1));
  private final FollowerSession f = new FollowerSession(cfg, () -> "cid=1");

  @Test
  void leaseRunsFromSendTimeMinusTheDriftMargin() {
    FollowerSession.Transition t = f.answered(0, "u1", 5, 1_000 * MS, 300 * MS);
    assertThat(t.to()).isEqualTo(State.CONNECTED);
    assertThat(f.leaseValid(5, 899 * MS)).isTrue();
    assertThat(f.leaseValid(5, 900 * MS)).as("send time + 1 s - 100 ms margin, not answer time").isFalse();
    assertThat(f.leaseValid(4, 100 * MS)).as("a lease of another session").isFalse();
  }

  @Test
  void silenceGoesJeopardyThenExpiredAndThenReconnectsAsANewSession() {
    f.answered(0, "u1", 5, 1_000 * MS, 1 * MS);
    assertThat(f.check(150 * MS)).isNull();
    assertThat(f.check(250 * MS).to()).isEqualTo(State.JEOPARDY);
    assertThat(f.leaseValid(5, 250 * MS)).as("jeopardy keeps serving").isTrue();
    assertThat(f.check(900 * MS).to()).isEqualTo(State.EXPIRED);
    assertThat(f.leaseValid(5, 901 * MS)).isFalse();
    assertThat(f.uuid()).as("the next keepalive asks for a new session").isEmpty();
    assertThat(f.reconnecting().to()).isEqualTo(State.RECONNECT);
    assertThat(f.answered(1_000 * MS, "u2", 9, 1_000 * MS, 1_001 * MS).to()).isEqualTo(State.CONNECTED);
    assertThat(f.leaseValid(5, 1_100 * MS)).as("old session's leases stay gone").isFalse();
    assertThat(f.leaseValid(9, 1_100 * MS)).isTrue();
  }

  @Test
  void leaderSayingNoSessionExpiresAtOnce() {
    f.answered(0, "u1", 5, 1_000 * MS, 1 * MS);
    assertThat(f.failed(true, "gone", 10 * MS).to()).isEqualTo(State.EXPIRED);
    assertThat(f.leaseValid(5, 11 * MS)).isFalse();
  }

  @Test
  void aLateAnswerNeverShortensTheLease() {
    f.answered(500 * MS, "u1", 5, 1_000 * MS, 501 * MS);
    assertThat(f.answered(100 * MS, "u1", 5, 1_000 * MS, 600 * MS)).isNull();
    assertThat(f.leaseValid(5, 1_300 * MS)).isTrue();
  }

  @Test
  void jeopardyEndsWhenAKeepaliveIsAnsweredAgain() {
    f.answered(0, "u1", 5, 1_000 * MS, 1 * MS);
    f.check(250 * MS);
    assertThat(f.answered(240 * MS, "u1", 5, 1_000 * MS, 260 * MS).to()).isEqualTo(State.CONNECTED);
  }
}
