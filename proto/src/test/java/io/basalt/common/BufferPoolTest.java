package io.basalt.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.Metric;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BufferPoolTest {

  @Test
  void theGaugesReportChunkSizeChunksAndBytesInUse() {
    PooledByteBufAllocator pool = new PooledByteBufAllocator(true, 0, 1, 8192, BufferPool.MAX_ORDER_VALUE);
    Map<String, Metric> gauges = BufferPool.metrics(pool.metric()).getMetrics();
    assertEquals(16 << 20, value(gauges, "chunk_size_bytes"));
    assertEquals(0, value(gauges, "direct_chunks"));

    ByteBuf[] mib = new ByteBuf[4];
    for (int i = 0; i < mib.length; i++) {
      mib[i] = pool.directBuffer(1 << 20);
    }
    // Four 1 MiB buffers share one 16 MiB chunk: the pool does not make a chunk per buffer.
    assertEquals(1, value(gauges, "direct_chunks"));
    assertTrue(value(gauges, "direct_used_bytes") >= 16 << 20);
    for (ByteBuf b : mib) {
      b.release();
    }
  }

  @Test
  void anOperatorsChunkOrderIsKept() {
    String before = System.getProperty(BufferPool.MAX_ORDER);
    try {
      System.setProperty(BufferPool.MAX_ORDER, "10");
      BufferPool.configure();
      assertEquals("10", System.getProperty(BufferPool.MAX_ORDER));
    } finally {
      if (before == null) {
        System.clearProperty(BufferPool.MAX_ORDER);
      } else {
        System.setProperty(BufferPool.MAX_ORDER, before);
      }
    }
  }

  private static long value(Map<String, Metric> gauges, String name) {
    return ((Number) ((Gauge<?>) gauges.get(name)).getValue()).longValue();
  }
}
