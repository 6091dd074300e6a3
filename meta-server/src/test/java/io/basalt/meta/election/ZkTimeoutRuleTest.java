package io.basalt.meta.election;

import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.meta.MetaConfig;
import io.basalt.session.SessionConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** negotiated ZooKeeper timeout + takeover allowance must fit in session timeout - drift margin - keepalive. */
class ZkTimeoutRuleTest {
  static ZkTimeoutRule rule(Duration asked, long keepaliveMs, long sessionMs) {
    return new ZkTimeoutRule(asked, SessionConfig.of(Duration.ofMillis(keepaliveMs), Duration.ofMillis(sessionMs)));
  }

  @Test
  void theDefaultsAreSafeAndTheOldTenSecondsWasNot() {
    SessionConfig defaults = SessionConfig.defaults();
    Duration asked = ZkTimeoutRule.defaultZkTimeout(defaults);
    assertThat(asked).isEqualTo(MetaConfig.DEFAULT_ZK_SESSION_TIMEOUT).isEqualTo(Duration.ofSeconds(4));
    ZkTimeoutRule r = new ZkTimeoutRule(asked, defaults);
    assertThat(r.takeoverAllowance()).isEqualTo(Duration.ofSeconds(1));
    assertThat(r.budget()).isEqualTo(Duration.ofSeconds(8));
    assertThat(r.check(asked).safe()).isTrue();
    assertThat(r.check(Duration.ofSeconds(7)).safe()).as("7 s + 1 s = 8 s: just fits").isTrue();
    ZkTimeoutRule.Verdict old = new ZkTimeoutRule(Duration.ofSeconds(10), defaults).check(Duration.ofSeconds(10));
    assertThat(old.safe()).isFalse();
    assertThat(old.message()).contains("negotiated ZooKeeper session timeout 10000 ms")
        .contains("--zk-session-timeout").contains("--session-timeout 10000 ms").contains("= 11000 ms")
        .contains("= 8000 ms").contains("Lower --zk-session-timeout");
  }

  @Test
  void shortTestTimingsAreSafeWithTheDerivedTimeoutAndZooKeepersOneSecondMinimum() {
    // the fault tests' timings: keepalive 200 ms, session 2 s; ZooKeeper (tickTime 500 ms) grants at least 1 s
    ZkTimeoutRule r = rule(Duration.ofMillis(800), 200, 2_000);
    assertThat(r.takeoverAllowance()).isEqualTo(Duration.ofMillis(500));
    assertThat(r.check(Duration.ofSeconds(1)).safe()).isTrue();
    assertThat(rule(Duration.ofSeconds(4), 200, 2_000).check(Duration.ofSeconds(4)).safe()).isFalse();
    assertThat(rule(Duration.ofMillis(1200), 500, 3_000).check(Duration.ofMillis(1200)).safe()).isTrue();
    assertThat(rule(Duration.ofSeconds(4), 500, 10_000).check(Duration.ofSeconds(4)).safe()).isTrue();
  }

  @Test
  void aTimeoutRaisedByTheServersSaysSo() {
    ZkTimeoutRule.Verdict v = rule(Duration.ofMillis(800), 200, 2_000).check(Duration.ofSeconds(4));
    assertThat(v.safe()).isFalse();
    assertThat(v.message()).contains("asked 800 ms").contains("minSessionTimeout");
  }
}
