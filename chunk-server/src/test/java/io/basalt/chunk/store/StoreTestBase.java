package io.basalt.chunk.store;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fixture of the tests run on one {@link RocksReplicaStore}: opened with the default config in a fresh directory
 * before each test, and closed after it (whichever store {@code store} then refers to, if the test reopened it).
 */
abstract class StoreTestBase {
  @TempDir Path dir;
  RocksReplicaStore store;

  @BeforeEach
  void openStore() {
    store = RocksReplicaStore.open(dir, RocksStoreConfig.defaults());
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  /** The bytes of {@code [offset, offset + length)} of {@code pid} as the store reads them now. */
  byte[] readBytes(long pid, long offset, int length) {
    ByteBuf b = store.read(pid, offset, length, PooledByteBufAllocator.DEFAULT);
    try {
      return ByteBufUtil.getBytes(b);
    } finally {
      b.release();
    }
  }
}
