package io.basalt.bench.jmh;

import io.basalt.chunk.store.ExtentEpoch;
import io.basalt.chunk.store.ReplicaStore;
import io.basalt.chunk.store.ReplicaStore.Mutation;
import io.basalt.chunk.store.RocksReplicaStore;
import io.basalt.chunk.store.RocksStoreConfig;
import io.basalt.proto.WriteKind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One replica apply on a real RocksDB store in a temp directory: the cost the owner and each replica pay per write
 * (blocks, replica meta and gen log in one WriteBatch, WAL not synced). Uses only the {@link ReplicaStore}
 * interface and the store's public factory, so store internals can change under it.
 *
 * <p>4 KiB writes land at random block offsets of a 64 MiB extent (every one an overwrite after the first pass);
 * 1 MiB writes go sequentially through it, as fio's J3 does.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class StoreApplyBench {
  private static final long PID = 1;
  private static final long EPOCH = 1;
  private static final long EXTENT = 64L << 20;
  /** Distinct payloads so that no two neighbouring writes carry equal bytes. */
  private static final int PAYLOADS = 16;

  @Param({"4096", "1048576"})
  public int size;

  private Path dir;
  private ReplicaStore store;
  private ByteBuf[] payloads;
  private final SplittableRandom random = new SplittableRandom(42);
  private long gen;
  private long nextSequential;

  @Setup(Level.Trial)
  public void open() throws IOException {
    dir = Files.createTempDirectory("basalt-jmh-store");
    store = RocksReplicaStore.open(dir, RocksStoreConfig.defaults());
    payloads = new ByteBuf[PAYLOADS];
    for (int i = 0; i < PAYLOADS; i++) {
      byte[] bytes = new byte[size];
      random.nextBytes(bytes);
      payloads[i] = Unpooled.directBuffer(size).writeBytes(bytes);
    }
  }

  @Benchmark
  public long apply() {
    long offset;
    if (size < EXTENT / 1024) {
      offset = random.nextLong(EXTENT / size) * size;
    } else {
      offset = nextSequential;
      nextSequential = (nextSequential + size) % EXTENT;
    }
    ByteBuf data = payloads[(int) (gen % PAYLOADS)];
    // the store reads data without consuming or releasing it
    store.apply(new ExtentEpoch(PID, EPOCH), new Mutation(++gen, EPOCH, offset, size, WriteKind.WRITE, data), false);
    return gen;
  }

  @TearDown(Level.Trial)
  public void close() throws IOException {
    store.close();
    for (ByteBuf b : payloads) {
      b.release();
    }
    TempDirs.deleteRecursively(dir);
  }
}
