package io.basalt.it.fault;

import io.basalt.it.cluster.ExternalTools;
import io.basalt.it.net.TestNetwork;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * A small file system for one chunk's data directory (TESTPLAN F16): a tmpfs of a fixed size mounted at the directory
 * the chunk will use, filled up with one file ({@code fallocate}, or plain writes where it is missing) and freed by
 * deleting that file. Needs root; a machine that cannot mount skips the test visibly (JUnit assumption). Always
 * unmounted by {@link #close} (lazily: a chunk still running keeps its files open).
 */
public final class SmallDisk implements AutoCloseable {
  private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(30);
  private final Path dir;
  private final Path fill;
  private boolean mounted;

  private SmallDisk(Path dir) {
    this.dir = dir;
    this.fill = dir.resolve("fill");
  }

  /** Mounts a tmpfs of {@code mib} MiB at {@code dir} (created), or skips the test when it cannot. */
  public static SmallDisk mount(Path dir, int mib) throws IOException {
    Assumptions.assumeTrue(TestNetwork.isRoot(), "F16 needs root to mount a tmpfs: test skipped (uid="
        + TestNetwork.uid() + ")");
    Files.createDirectories(dir);
    ExternalTools.Result r = ExternalTools.run(TOOL_TIMEOUT, List.of("mount", "-t", "tmpfs", "-o", "size=" + mib + "m",
        "tmpfs", dir.toString()));
    Assumptions.assumeTrue(r.exitCode() == 0, "cannot mount a tmpfs at " + dir + ": test skipped (" + r.output().trim()
        + ")");
    SmallDisk disk = new SmallDisk(dir);
    disk.mounted = true;
    return disk;
  }

  public long usableBytes() throws IOException {
    return Files.getFileStore(dir).getUsableSpace();
  }

  /** Takes every usable byte with one file; returns how many it took. */
  public long fill() throws IOException {
    long free = usableBytes();
    if (ExternalTools.installed("fallocate")) {
      ExternalTools.Result r = ExternalTools.run(TOOL_TIMEOUT, List.of("fallocate", "-l", Long.toString(free),
          fill.toString()));
      if (r.exitCode() == 0) return free;
    }
    // fallocate missing (or it refused the size): write zeros until the file system says no
    ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
    long written = 0;
    try (FileChannel ch = FileChannel.open(fill, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.APPEND)) {
      while (true) {
        zeros.clear();
        written += ch.write(zeros);
      }
    } catch (IOException full) {
      return written;
    }
  }

  /** Gives the space back. */
  public void free() throws IOException {
    Files.deleteIfExists(fill);
  }

  @Override
  public void close() {
    if (!mounted) return;
    mounted = false;
    ExternalTools.Result r = ExternalTools.run(TOOL_TIMEOUT, List.of("umount", "-l", dir.toString()));
    if (r.exitCode() != 0) {
      throw new UncheckedIOException(new IOException("umount " + dir + " failed: " + r.output()));
    }
  }
}
