package io.basalt.common;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.Metric;
import com.codahale.metrics.MetricSet;
import io.netty.buffer.PoolArenaMetric;
import io.netty.buffer.PoolChunkListMetric;
import io.netty.buffer.PoolChunkMetric;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocatorMetric;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sizes Netty's pooled allocator for a data path that moves 1 MiB buffers, and reports the pool's state.
 *
 * <p>Why: Netty 4.1 carves buffers out of 4 MiB chunks by default and frees a chunk once it falls empty after having
 * been at least a quarter used. One 1 MiB buffer is that quarter, so under 1 MiB reads and writes a server kept
 * creating and freeing chunks: each new chunk is a fresh {@code allocateDirect} (zeroed, page-faulted in) and each
 * socket read into it lands in cold memory. On the 2-core bench VM, 1 MiB reads through the NBD server ran at
 * 200 MB/s in that state, with its event loop busy zeroing, faulting and copying; with 16 MiB chunks the same runs
 * gave 700-1,100 MB/s. A 16 MiB chunk holds a whole queue of 1 MiB buffers, so it stays in use.
 */
public final class BufferPool {
  static final String MAX_ORDER = "io.netty.allocator.maxOrder";
  /** Pages of 8 KiB shifted by this order: 16 MiB chunks (the default of earlier Netty 4.1 releases). */
  static final int MAX_ORDER_VALUE = 11;
  private static final Logger log = LoggerFactory.getLogger(BufferPool.class);

  private BufferPool() {}

  /**
   * Sets the allocator's chunk size unless the operator chose one ({@code -Dio.netty.allocator.maxOrder}). Must run
   * before anything touches Netty's allocator, i.e. first in {@code main}; returns whether the pool Netty built uses
   * the order asked for (false, with a warning, when it was built before this call).
   */
  public static boolean configure() {
    if (System.getProperty(MAX_ORDER) == null) {
      System.setProperty(MAX_ORDER, Integer.toString(MAX_ORDER_VALUE));
    }
    int asked = Integer.getInteger(MAX_ORDER, MAX_ORDER_VALUE);
    if (PooledByteBufAllocator.defaultMaxOrder() != asked) {
      log.warn("Netty's buffer pool was built before its chunk size was set: order {} instead of {}; 1 MiB I/O may"
          + " churn pool chunks", PooledByteBufAllocator.defaultMaxOrder(), asked);
      return false;
    }
    return true;
  }

  /** Gauges of the default pool: direct bytes in use, chunk size, and direct chunks currently allocated. */
  public static MetricSet metrics() {
    return metrics(PooledByteBufAllocator.DEFAULT.metric());
  }

  static MetricSet metrics(PooledByteBufAllocatorMetric pool) {
    return () -> Map.<String, Metric>of(
        "direct_used_bytes", (Gauge<Long>) pool::usedDirectMemory,
        "chunk_size_bytes", (Gauge<Integer>) pool::chunkSize,
        "direct_chunks", (Gauge<Integer>) () -> directChunks(pool));
  }

  static int directChunks(PooledByteBufAllocatorMetric pool) {
    int chunks = 0;
    for (PoolArenaMetric arena : pool.directArenas()) {
      for (PoolChunkListMetric list : arena.chunkLists()) {
        for (PoolChunkMetric ignored : list) {
          chunks++;
        }
      }
    }
    return chunks;
  }
}
