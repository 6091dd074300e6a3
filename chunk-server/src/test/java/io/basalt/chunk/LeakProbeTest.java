package io.basalt.chunk;

import static org.assertj.core.api.Assertions.assertThat;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

class LeakProbeTest {
  @Test
  void detects() {
    for (int i = 0; i < 10; i++) PooledByteBufAllocator.DEFAULT.buffer(128).writeInt(1);
    assertThat(LeakLog.collect()).isNotEmpty();
  }
}
