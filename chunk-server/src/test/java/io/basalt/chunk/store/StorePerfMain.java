package io.basalt.chunk.store;

import static io.basalt.chunk.store.ReplicaStore.BLOCK_SIZE;

import com.sun.management.OperatingSystemMXBean;
import io.basalt.chunk.store.ReplicaStore.Mutation;
import io.basalt.proto.ReplicaState;
import io.basalt.proto.WriteKind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Store-level throughput by hand (not a test, no figures in timed tests): 1 MiB applies (256 blocks, one
 * WriteBatch), 1 MiB and 4 KiB reads, RMW loads, and the recovery copy pair (readPresentBlocks +
 * writeCopiedBlocks). Prints MB/s and process CPU per MiB.
 *
 * <pre>java -cp chunk-server/target/classes:chunk-server/target/test-classes:$(cat cp) \
 *   io.basalt.chunk.store.StorePerfMain [dir] [MiB to write]</pre>
 */
public final class StorePerfMain {
  private static final int MIB = 1 << 20;
  private static final long EXTENT = 64L * MIB;

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "/tmp/store-perf");
    long totalMib = args.length > 1 ? Long.parseLong(args[1]) : 2048;
    deleteTree(dir);
    Files.createDirectories(dir);
    PooledByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    byte[] pool = new byte[16 * MIB];
    new Random(1).nextBytes(pool);
    ByteBuf data = alloc.directBuffer(MIB);
    try (RocksReplicaStore store = RocksReplicaStore.open(dir, RocksStoreConfig.defaults())) {
      long pids = Math.max(1, totalMib * MIB / EXTENT);
      // pass 1: fill, pass 2: overwrite (blob garbage + GC)
      for (int pass = 1; pass <= 2; pass++) {
        long gen = pass * 100_000L;
        Meter m = new Meter("apply 1MiB pass " + pass);
        int k = 0;
        for (long off = 0; off < EXTENT; off += MIB) {
          for (long pid = 1; pid <= pids; pid++) {
            data.clear().writeBytes(pool, (k++ % 15) * MIB + (int) (pid * 4096 % MIB), MIB);
            store.apply(new ExtentEpoch(pid, 1), new Mutation(++gen, 1, off, MIB, WriteKind.WRITE, data), false);
            m.add(MIB);
          }
        }
        m.done();
      }
      Meter r = new Meter("read 1MiB");
      for (long off = 0; off < EXTENT; off += MIB) {
        for (long pid = 1; pid <= pids; pid++) {
          ByteBuf b = store.read(pid, off, MIB, alloc);
          b.release();
          r.add(MIB);
        }
      }
      r.done();
      Random rnd = new Random(2);
      Meter small = new Meter("read 4KiB random");
      for (int i = 0; i < 200_000; i++) {
        long pid = 1 + rnd.nextInt((int) pids);
        ByteBuf b = store.read(pid, (long) rnd.nextInt((int) (EXTENT / BLOCK_SIZE)) * BLOCK_SIZE, BLOCK_SIZE, alloc);
        b.release();
        small.add(BLOCK_SIZE);
      }
      small.done();
      Meter rmw = new Meter("apply 512B RMW");
      for (int i = 0; i < 100_000; i++) {
        long pid = 1 + rnd.nextInt((int) pids);
        data.clear().writeBytes(pool, i % 1000 * 512, 512);
        store.apply(new ExtentEpoch(pid, 1),
            new Mutation(1_000_000L + i, 1, (long) rnd.nextInt((int) (EXTENT / 512)) * 512, 512,
                WriteKind.WRITE, data), false);
        rmw.add(512);
      }
      rmw.done();
      // the recovery copy pair, source pid -> a new RECOVERING replica
      long target = 1000;
      store.putReplicaMeta(new ReplicaMeta(target, 1, 0, ReplicaState.RECOVERING, 1));
      Meter copy = new Meter("copy 1MiB (readPresent+writeCopied)");
      Meter readOnly = new Meter("  of which readPresentBlocks");
      for (long pid = 1; pid <= Math.min(pids, 8); pid++) {
        for (long off = 0; off < EXTENT; off += MIB) {
          long t0 = System.nanoTime();
          PresentBlocks pb = store.readPresentBlocks(pid, off, MIB, alloc);
          readOnly.addTimed(MIB, System.nanoTime() - t0);
          try {
            store.writeCopiedBlocks(target, pb.blocks(), pb.data(), i -> false);
          } finally {
            pb.data().release();
          }
          copy.add(MIB);
        }
      }
      copy.done();
      readOnly.done();
      System.out.println(store.handles().db.getProperty(store.handles().blocks, "rocksdb.stats")
          .lines().filter(l -> l.contains("Stall") || l.contains("stall") || l.startsWith("Cumulative writes")
              || l.startsWith("Cumulative WAL") || l.contains("Sum ") || l.startsWith(" L0") || l.contains("Blob"))
          .reduce("", (a, b) -> a + b + "\n"));
    } finally {
      data.release();
    }
  }

  private static final class Meter {
    private final String name;
    private final long t0 = System.nanoTime();
    private final long cpu0 = cpu();
    private final long thread0 = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    private long bytes;
    private long timedNanos = -1;

    Meter(String name) {
      this.name = name;
    }

    void add(long b) {
      bytes += b;
    }

    void addTimed(long b, long nanos) {
      bytes += b;
      timedNanos = Math.max(timedNanos, 0) + nanos;
    }

    void done() {
      double secs = (timedNanos >= 0 ? timedNanos : System.nanoTime() - t0) / 1e9;
      double cpuMs = (cpu() - cpu0) / 1e6;
      double threadMs = (ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - thread0) / 1e6;
      System.out.printf("%-40s %8.1f MB/s  %7.0f ops/s  %6.2f s  caller cpu %.2f ms/MiB  process cpu %.2f ms/MiB%n",
          name, bytes / secs / 1e6,
          bytes / secs / (name.contains("4KiB") ? BLOCK_SIZE : name.contains("512B") ? 512 : MIB), secs,
          threadMs / (bytes / (double) MIB), timedNanos >= 0 ? Double.NaN : cpuMs / (bytes / (double) MIB));
    }

    private static long cpu() {
      return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
          .getProcessCpuTime();
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
