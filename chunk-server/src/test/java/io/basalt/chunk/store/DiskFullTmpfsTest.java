package io.basalt.chunk.store;

import static io.basalt.chunk.store.ReplicaStore.BLOCK_SIZE;
import static io.basalt.chunk.store.StoreTestData.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.basalt.chunk.store.ReplicaStore.Mutation;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ReplicaState;
import io.basalt.proto.WriteKind;
import io.basalt.rpc.BasaltException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real ENOSPC (TESTPLAN F16) on a 64 MiB tmpfs, reserve 0 so the disk, not the watermark, says no: a slot file
 * write fails NO_SPACE; a WAL append that finds no room puts RocksDB in a NoSpace background error, which is not
 * taken for a failed store (F17) and makes its writes fail NO_SPACE; what was written reads back; once
 * the space is freed RocksDB resumes by itself (its SstFileManager polls free space) and the store takes data again. Needs
 * root to mount; skipped visibly otherwise.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DiskFullTmpfsTest {
  @TempDir Path tmp;
  Path mount;
  boolean mounted;
  RocksReplicaStore store;

  @BeforeEach
  void mount() throws Exception {
    Assumptions.assumeTrue(Files.readAllLines(Path.of("/proc/self/status")).stream()
        .anyMatch(l -> l.matches("Uid:\\s+0\\s.*")), "needs root to mount a tmpfs: skipped");
    mount = tmp.resolve("small");
    Files.createDirectories(mount);
    Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", mount.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    Assumptions.assumeTrue(p.waitFor() == 0, "cannot mount a tmpfs: skipped (" + out.trim() + ")");
    mounted = true;
  }

  @AfterEach
  void unmount() throws Exception {
    if (store != null) store.close();
    if (mounted) new ProcessBuilder("umount", "-l", mount.toString()).start().waitFor();
  }

  @Test
  void enospcFailsTheWriteNotTheStoreAndWritesResumeOnceSpaceIsBack() throws Exception {
    // small memtables: the WAL preallocation (1.1 x write buffer) must leave room on 64 MiB
    store = RocksReplicaStore.open(mount.resolve("store"), RocksStoreConfig.defaults().withDiskReserveBytes(0)
        .withWriteBuffers(4L << 20, 2));
    byte[] data = random(1, 16 * BLOCK_SIZE);
    store.apply(new ExtentEpoch(1, 1), new Mutation(1, 1, 0, data.length, WriteKind.WRITE,
        Unpooled.wrappedBuffer(data)), true);
    Path fill = mount.resolve("fill");
    fillUp(fill);

    assertThatThrownBy(() -> store.apply(new ExtentEpoch(1, 1), new Mutation(2, 1, 1 << 20, 64 * BLOCK_SIZE,
        WriteKind.WRITE, Unpooled.wrappedBuffer(random(2, 64 * BLOCK_SIZE))), true))
        .isInstanceOfSatisfying(BasaltException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NO_SPACE));
    // RocksDB itself out of space: metadata goes to its WAL alone, which has room until its preallocation is used
    // up; then the append fails, RocksDB stops writes with a NoSpace background error: NO_SPACE, not a failed store
    BasaltException refused = null;
    for (int epoch = 2; refused == null && epoch < 2_000_000; epoch++) {
      try {
        store.putReplicaMeta(new ReplicaMeta(1, epoch, 1, ReplicaState.ACTIVE));
      } catch (BasaltException e) {
        refused = e;
      }
    }
    assertThat(refused).as("the WAL ran out of space").isNotNull();
    assertThat(refused.code()).as(refused.getMessage()).isEqualTo(ErrorCode.NO_SPACE);
    assertThat(store.failure()).as("a full disk is not a failed store").isEmpty();
    assertThat(store.full()).isPresent();
    assertThat(store.replica(1).orElseThrow().gen()).isEqualTo(1);
    assertThat(read(1, 0, data.length)).isEqualTo(data);

    Files.delete(fill);
    // RocksDB's SstFileManager looks for free space every few seconds before it resumes
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
      store.diskSpace().poll();
      return store.full().isEmpty();
    });
    long epoch = store.replica(1).orElseThrow().epoch(); // the metadata loop above moved it
    store.apply(new ExtentEpoch(1, epoch), new Mutation(2, epoch, 0, BLOCK_SIZE, WriteKind.WRITE,
        Unpooled.wrappedBuffer(random(3, BLOCK_SIZE))), true);
    assertThat(store.replica(1).orElseThrow().gen()).isEqualTo(2);
    assertThat(store.failure()).isEmpty();
  }

  private static void fillUp(Path fill) throws IOException {
    ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
    try (FileChannel ch = FileChannel.open(fill, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      while (true) {
        zeros.clear();
        ch.write(zeros);
      }
    } catch (IOException full) {
      // the file system is full: the point
    }
  }

  private byte[] read(long pid, long offset, int length) {
    ByteBuf b = store.read(pid, offset, length, PooledByteBufAllocator.DEFAULT);
    try {
      return ByteBufUtil.getBytes(b);
    } finally {
      b.release();
    }
  }
}
