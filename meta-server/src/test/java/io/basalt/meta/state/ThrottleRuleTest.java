package io.basalt.meta.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import org.junit.jupiter.api.Test;

class ThrottleRuleTest {
  private static final long MIB = ThrottleRule.MIB;
  private final ThrottleRule rule = new ThrottleRule(200 * MIB, 4, 64);

  @Test
  void unsetFieldsTakeTheDefaults() {
    assertThat(rule.effective(0, 0)).isEqualTo(new ThrottleRule.Values(200 * MIB, 4));
    assertThat(rule.effective(5 * MIB, 0)).isEqualTo(new ThrottleRule.Values(5 * MIB, 4));
    assertThat(rule.effective(0, 9)).isEqualTo(new ThrottleRule.Values(200 * MIB, 9));
  }

  @Test
  void aChangeKeepsAZeroFieldAndIsValidated() {
    ThrottleRule.Values now = new ThrottleRule.Values(100 * MIB, 2);
    assertThat(rule.merge(now, 0, 8)).isEqualTo(new ThrottleRule.Values(100 * MIB, 8));
    assertThat(rule.merge(now, MIB, 0)).isEqualTo(new ThrottleRule.Values(MIB, 2));
    assertThatThrownBy(() -> rule.merge(now, MIB - 1, 0)).isInstanceOf(BasaltException.class)
        .satisfies(e -> assertThat(((BasaltException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining("below the minimum");
    assertThatThrownBy(() -> rule.merge(now, 0, 65)).hasMessageContaining("out of range 1..64");
    assertThatThrownBy(() -> rule.merge(now, 0, -1)).hasMessageContaining("out of range 1..64");
  }
}
