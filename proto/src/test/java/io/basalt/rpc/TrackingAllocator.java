package io.basalt.rpc;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A channel allocator for decoder tests: remembers the largest buffer anyone asked for (hostile input must not make
 * a decoder allocate what a length field claims) and hands out unpooled buffers, so refCnt checks are exact.
 * Thread-safe.
 */
public class TrackingAllocator extends AbstractByteBufAllocator {
  private final AtomicLong largest = new AtomicLong();

  /** The largest initial capacity asked for so far. */
  public long largest() {
    return largest.get();
  }

  @Override
  protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
    largest.accumulateAndGet(initialCapacity, Math::max);
    return UnpooledByteBufAllocator.DEFAULT.heapBuffer(initialCapacity, maxCapacity);
  }

  @Override
  protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
    largest.accumulateAndGet(initialCapacity, Math::max);
    return UnpooledByteBufAllocator.DEFAULT.directBuffer(initialCapacity, maxCapacity);
  }

  @Override
  public boolean isDirectBufferPooled() {
    return false;
  }
}
