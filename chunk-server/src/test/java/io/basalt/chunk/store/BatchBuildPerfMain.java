package io.basalt.chunk.store;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Random;
import org.rocksdb.WriteBatch;

/** By hand: CPU of building a 1 MiB (256-block) WriteBatch, byte[] puts vs direct puts. No DB write. */
public final class BatchBuildPerfMain {
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "/tmp/batch-perf");
    ByteBuf data = PooledByteBufAllocator.DEFAULT.directBuffer(1 << 20);
    byte[] rnd = new byte[1 << 20];
    new Random(1).nextBytes(rnd);
    data.writeBytes(rnd);
    try (RocksReplicaStore store = RocksReplicaStore.open(dir, RocksStoreConfig.defaults())) {
      RocksHandles h = store.handles();
      for (int round = 0; round < 3; round++) {
        for (int mode = 0; mode < 3; mode++) {
          long t0 = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
          int n = 2000;
          for (int i = 0; i < n; i++) {
            try (WriteBatch b = mode == 2 ? new WriteBatch(256 * 4200) : new WriteBatch()) {
              for (int k = 0; k < 256; k++) {
                if (mode == 0) {
                  byte[] v = BlockValueCodec.newValue();
                  data.getBytes(k * 4096, v, 0, 4096);
                  if (!BlockValueCodec.isZeroData(v)) b.put(h.blocks, BlockKeys.key(7, k), BlockValueCodec.seal(v));
                } else {
                  BlockValueCodec.putBlock(b, h.blocks, 7, k, data, k * 4096, true);
                }
              }
            }
          }
          double us = (ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - t0) / 1e3 / n;
          System.out.printf("round %d %s: %.0f us per 1 MiB batch%n", round,
              new String[] {"byte[] puts", "direct puts", "direct puts, reserved batch"}[mode], us);
        }
      }
    }
    data.release();
  }
}
