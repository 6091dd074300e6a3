package io.basalt.chunk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;

/** Bit rot on purpose (TESTPLAN F19 b): bytes of a stored block flipped behind the store's back. */
final class BlockDamage {
  private BlockDamage() {}

  /** Flips 16 bytes of block {@code block} in both slot files of {@code pid} under a chunk's data directory. */
  static void flipBytes(Path chunkDir, long pid, long block) throws IOException {
    try (Stream<Path> files = Files.list(chunkDir.resolve("extents"))) {
      for (Path p : files.filter(x -> x.getFileName().toString().startsWith(String.format("%016x.", pid))).toList()) {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
          ByteBuffer b = ByteBuffer.allocate(16);
          if (ch.read(b, block * 4096 + 100) <= 0) continue;
          b.flip();
          for (int i = 0; i < b.limit(); i++) b.put(i, (byte) ~b.get(i));
          ch.write(b, block * 4096 + 100);
        }
      }
    }
  }
}
