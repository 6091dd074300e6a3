package io.basalt.failpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FailpointsTest {
  @Test
  void offByDefaultAndErrorsWhenSet() {
    Failpoints f = new Failpoints();
    f.inject("x"); // nothing active: no effect
    f.set("x", "error(no_space)");
    assertThatThrownBy(() -> f.inject("x")).isInstanceOf(BasaltException.class)
        .satisfies(e -> assertThat(((BasaltException) e).code()).isEqualTo(ErrorCode.NO_SPACE));
    f.inject("y");
    f.set("x", "off");
    f.inject("x");
    assertThat(f.list()).isEmpty();
  }

  @Test
  void countedPointFiresNTimes() {
    Failpoints f = new Failpoints();
    f.set("s", "2*on");
    assertThat(f.isOn("s")).isTrue();
    assertThat(f.isOn("s")).isTrue();
    assertThat(f.isOn("s")).isFalse();
  }

  @Test
  void aPointOfOneExtentFiresForThatPidOrForAll() {
    Failpoints f = new Failpoints();
    f.set("chunk.apply.throw@17", "1*throw");
    f.inject("chunk.apply.throw", 16); // another pid: nothing
    assertThatThrownBy(() -> f.inject("chunk.apply.throw", 17)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("chunk.apply.throw@17");
    f.inject("chunk.apply.throw", 17); // fired its one time
    f.set("chunk.apply.throw", "error(io_error)");
    assertThatThrownBy(() -> f.inject("chunk.apply.throw", 3)).isInstanceOf(BasaltException.class);
  }

  @Test
  void hangBlocksUntilSwitchedOff() {
    Failpoints f = new Failpoints();
    f.set("h", "hang");
    CompletableFuture<Void> stuck = CompletableFuture.runAsync(() -> f.inject("h"));
    Awaitility.await().during(Duration.ofMillis(200)).until(() -> !stuck.isDone());
    f.set("h", "off");
    stuck.join();
  }

  @Test
  void badActionsAreRefused() {
    Failpoints f = new Failpoints();
    assertThatThrownBy(() -> f.set("x", "explode")).isInstanceOf(BasaltException.class)
        .hasMessageContaining("bad failpoint action");
    System.setProperty("basalt.failpoints", "a=throw;b=1*delay(5)");
    try {
      Failpoints p = Failpoints.fromSystemProperty();
      assertThat(p.list()).containsExactly("a=throw", "b=1*delay(5)");
      assertThatThrownBy(() -> p.inject("a")).isInstanceOf(IllegalStateException.class);
    } finally {
      System.clearProperty("basalt.failpoints");
    }
  }
}
