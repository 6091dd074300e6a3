package io.basalt.chunk.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.rocksdb.RocksDBException;
import org.rocksdb.Status;

/** The full-disk gate (TESTPLAN F16) on a faked file system, and how ENOSPC is told from other I/O errors. */
class DiskSpaceTest {
  private static final long MiB = 1 << 20;
  private final AtomicLong now = new AtomicLong();
  private final AtomicLong usable = new AtomicLong(100 * MiB);
  private final AtomicBoolean probeFails = new AtomicBoolean();
  private final DiskSpace disk = new DiskSpace(Path.of("/data"), 8 * MiB, now::get, usable::get);

  DiskSpaceTest() {
    disk.probe(() -> {
      if (probeFails.get()) throw new IllegalStateException("rocksdb still in background error");
    });
  }

  @Test
  void belowTheReserveNewDataIsRefusedWithNoSpace() {
    assertThatCode(() -> disk.checkWritable("apply", 7)).doesNotThrowAnyException();
    usable.set(7 * MiB);
    now.addAndGet(DiskSpace.REFRESH_NANOS + 1);
    assertThatThrownBy(() -> disk.checkWritable("apply", 7)).isInstanceOfSatisfying(BasaltException.class, e -> {
      assertThat(e.code()).isEqualTo(ErrorCode.NO_SPACE);
      assertThat(e.getMessage()).contains("pid=7", "disk full", "below reserveBytes");
    });
    assertThat(disk.full()).isTrue();
  }

  @Test
  void theWritePathReadsUsableSpaceAtMostOncePerRefreshInterval() {
    disk.checkWritable("apply", 1);
    usable.set(0);
    assertThatCode(() -> disk.checkWritable("apply", 1)).as("cached").doesNotThrowAnyException();
    now.addAndGet(DiskSpace.REFRESH_NANOS + 1);
    assertThatThrownBy(() -> disk.checkWritable("apply", 1)).isInstanceOf(BasaltException.class);
  }

  @Test
  void anEnospcMarksFullEvenWithSpaceLeftAndCountsTheError() {
    disk.noSpace("apply data write pid=3");
    assertThat(disk.full()).isTrue();
    assertThat(disk.reason()).contains("ENOSPC", "pid=3");
    assertThat(disk.noSpaceErrors()).isEqualTo(1);
    assertThatThrownBy(() -> disk.checkWritable("apply", 3)).isInstanceOf(BasaltException.class);
  }

  @Test
  void everyRefusedWriteOfAnExtentIsHeardWithItsPid() {
    List<Long> heard = new CopyOnWriteArrayList<>();
    disk.onRefused((pid, why) -> heard.add(pid));
    disk.noSpace("rocksdb background error reason=FLUSH"); // not one extent's
    assertThat(heard).isEmpty();
    disk.noSpace(9, "apply data write pid=9");
    assertThatThrownBy(() -> disk.checkWritable("apply changes", 11)).isInstanceOf(BasaltException.class);
    assertThat(heard).containsExactly(9L, 11L);
  }

  @Test
  void fullClearsOnlyAtTwiceTheReserveAndOnceTheStoreWritesAgain() {
    usable.set(0);
    disk.poll();
    assertThat(disk.full()).isTrue();
    usable.set(12 * MiB); // above the reserve, below twice the reserve: no flapping
    disk.poll();
    assertThat(disk.full()).isTrue();
    usable.set(16 * MiB);
    probeFails.set(true);
    disk.poll();
    assertThat(disk.full()).as("RocksDB has not resumed yet").isTrue();
    probeFails.set(false);
    disk.poll();
    assertThat(disk.full()).isFalse();
    assertThat(disk.reason()).isEmpty();
    assertThatCode(() -> disk.checkWritable("apply", 1)).doesNotThrowAnyException();
  }

  @Test
  void rocksDbNoSpaceIsToldFromOtherErrors() {
    assertThat(NoSpace.is(new RocksDBException("IO error: While appending to file: 000012.log: No space left on"
        + " device", new Status(Status.Code.IOError, Status.SubCode.NoSpace, "")))).isTrue();
    assertThat(NoSpace.is(new RocksDBException("IO error: fsync failed",
        new Status(Status.Code.IOError, Status.SubCode.None, "fsync failed")))).isFalse();
    assertThat(NoSpace.is(new Status(Status.Code.IOError, Status.SubCode.NoSpace, "flush"))).isTrue();
    assertThat(NoSpace.is(new Status(Status.Code.Corruption, Status.SubCode.None, "bad block"))).isFalse();
    assertThat(NoSpace.is((Status) null)).isFalse();
  }

  @Test
  void aDataFileEnospcIsToldByItsTextOrByAFullFileSystem() {
    assertThat(NoSpace.is(new IOException("No space left on device"), false)).isTrue();
    assertThat(NoSpace.is(new FileSystemException("/data/extents/1.0", null, "No space left on device"), false))
        .isTrue();
    assertThat(NoSpace.is(new IOException("Input/output error"), false)).isFalse();
    // a translated strerror: the file system having no room left decides
    assertThat(NoSpace.is(new IOException("Aucun espace disponible sur le périphérique"), true)).isTrue();
    assertThat(NoSpace.is(new ClosedChannelException(), false)).isFalse();
  }

  @Test
  void aNegativeReserveIsRefused() {
    assertThatThrownBy(() -> new DiskSpace(Path.of("/data"), -1, now::get, usable::get))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reserveBytes");
  }
}
