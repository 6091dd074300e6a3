package io.basalt.bench.loader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class LoaderOptionsTest {
  @Test
  void defaultsAreTheIssuesLoad() {
    LoaderOptions o = LoaderOptions.parse(List.of());
    assertThat(o.writeSize()).isEqualTo(4096);
    assertThat(o.queueDepth()).isEqualTo(16);
    assertThat(o.extents()).isEqualTo(4);
    assertThat(o.volumeSize()).isEqualTo(64L << 20);
    assertThat(o.replicas()).isEqualTo(3);
  }

  @Test
  void parsesSizesWithUnits() {
    LoaderOptions o = LoaderOptions.parse(List.of("--size", "1m", "--qd", "4", "--extent-size", "32M", "--seconds",
        "5"));
    assertThat(o.writeSize()).isEqualTo(1 << 20);
    assertThat(o.extentSize()).isEqualTo(32L << 20);
    assertThat(o.queueDepth()).isEqualTo(4);
    assertThat(o.seconds()).isEqualTo(5);
  }

  @Test
  void refusesMistakesNamingTheFlag() {
    assertThatThrownBy(() -> LoaderOptions.parse(List.of("--sise", "4k"))).hasMessageContaining("unknown flag: --sise");
    assertThatThrownBy(() -> LoaderOptions.parse(List.of("--size", "6000"))).hasMessageContaining("--size");
    assertThatThrownBy(() -> LoaderOptions.parse(List.of("--qd"))).hasMessage("--qd needs a value");
    assertThatThrownBy(() -> LoaderOptions.parse(List.of("--qd", "x"))).hasMessageContaining("whole number");
    assertThatThrownBy(() -> LoaderOptions.parse(List.of("--extent-size", "3m"))).hasMessageContaining("power of two");
    assertThatThrownBy(() -> LoaderOptions.parse(List.of("--replicas", "4"))).hasMessageContaining("--chunks=3");
    assertThatThrownBy(() -> LoaderOptions.parse(List.of("--size", "-1k"))).hasMessageContaining("positive size");
  }

  @Test
  void percentileIsNearestRank() {
    long[] sorted = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100};
    assertThat(Latencies.percentile(sorted, 50)).isEqualTo(50);
    assertThat(Latencies.percentile(sorted, 99)).isEqualTo(100);
    assertThat(Latencies.percentile(new long[0], 99)).isZero();
  }
}
