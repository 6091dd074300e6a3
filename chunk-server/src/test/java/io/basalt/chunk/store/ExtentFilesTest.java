package io.basalt.chunk.store;

import static io.basalt.chunk.store.ReplicaStore.BLOCK_SIZE;
import static io.basalt.chunk.store.StoreTestData.random;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class ExtentFilesTest {
  @TempDir Path dir;

  @Test
  void blocksLandAtTheirOffsetInTheirSlotFileAndUnwrittenOnesReadAsZeros() throws Exception {
    try (ExtentFiles files = new ExtentFiles(dir)) {
      byte[] a = random(1, BLOCK_SIZE);
      byte[] b = random(2, 2 * BLOCK_SIZE);
      files.write(7, 0, 3, ByteBuffer.wrap(a));
      files.write(7, 1, 3, ByteBuffer.wrap(b));
      assertThat(read(files, 7, 0, 3, BLOCK_SIZE)).isEqualTo(a);
      assertThat(read(files, 7, 1, 3, 2 * BLOCK_SIZE)).isEqualTo(b);
      assertThat(read(files, 7, 0, 0, BLOCK_SIZE)).as("a hole").isEqualTo(new byte[BLOCK_SIZE]);
      byte[] tail = read(files, 7, 0, 3, 3 * BLOCK_SIZE); // runs past the end of the file
      assertThat(Arrays.copyOf(tail, BLOCK_SIZE)).isEqualTo(a);
      assertThat(Arrays.copyOfRange(tail, BLOCK_SIZE, 3 * BLOCK_SIZE)).isEqualTo(new byte[2 * BLOCK_SIZE]);
      assertThat(read(files, 8, 0, 0, BLOCK_SIZE)).as("no file at all").isEqualTo(new byte[BLOCK_SIZE]);
      assertThat(Files.size(files.file(7, 1))).isEqualTo(5L * BLOCK_SIZE);
      assertThat(files.bytes()).isEqualTo(4L * BLOCK_SIZE + 5L * BLOCK_SIZE);
    }
  }

  @Test
  void deleteRemovesBothSlotsAndALaterWriteStartsAFreshFile() throws Exception {
    try (ExtentFiles files = new ExtentFiles(dir)) {
      files.write(9, 0, 0, ByteBuffer.wrap(random(3, BLOCK_SIZE)));
      files.write(9, 1, 1, ByteBuffer.wrap(random(4, BLOCK_SIZE)));
      files.syncDirty();
      files.delete(9);
      assertThat(files.file(9, 0)).doesNotExist();
      assertThat(files.file(9, 1)).doesNotExist();
      assertThat(read(files, 9, 0, 0, BLOCK_SIZE)).isEqualTo(new byte[BLOCK_SIZE]);
      byte[] c = random(5, BLOCK_SIZE);
      files.write(9, 0, 2, ByteBuffer.wrap(c));
      files.sync(9);
      assertThat(read(files, 9, 0, 2, BLOCK_SIZE)).isEqualTo(c);
      assertThat(Files.size(files.file(9, 0))).isEqualTo(3L * BLOCK_SIZE);
    }
  }

  @Test
  void aChannelClosedByAnotherThreadsInterruptIsReopened() throws Exception {
    try (ExtentFiles files = new ExtentFiles(dir)) {
      byte[] a = random(6, BLOCK_SIZE);
      files.write(4, 0, 0, ByteBuffer.wrap(a));
      // An interrupted thread's FileChannel I/O closes the channel for every user of it.
      CountDownLatch done = new CountDownLatch(1);
      Thread t = new Thread(() -> {
        Thread.currentThread().interrupt();
        try {
          files.read(4, 0, 0, ByteBuffer.allocate(BLOCK_SIZE));
        } catch (Exception expected) {
          // ClosedByInterruptException
        } finally {
          done.countDown();
        }
      });
      t.start();
      done.await();
      assertThat(read(files, 4, 0, 0, BLOCK_SIZE)).isEqualTo(a);
      byte[] b = random(7, BLOCK_SIZE);
      files.write(4, 0, 1, ByteBuffer.wrap(b));
      assertThat(read(files, 4, 0, 1, BLOCK_SIZE)).isEqualTo(b);
    }
  }

  private static byte[] read(ExtentFiles files, long pid, int slot, long block, int length) throws Exception {
    ByteBuffer dst = ByteBuffer.allocateDirect(length);
    files.read(pid, slot, block, dst);
    byte[] out = new byte[length];
    dst.flip().get(out);
    return out;
  }
}
