package io.basalt.client.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.basalt.client.volume.Volume;
import io.basalt.client.volume.VolumeProvider;
import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.TrackingAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.LoggerFactory;

/**
 * What the NBD fuzz targets share: feeding an {@link EmbeddedChannel} the client's bytes in reads of a size taken
 * from the first input byte, an allocator that remembers the largest request, a volume that completes on the
 * calling thread, and the checks every run ends with (nothing unreleased, no exception but a protocol failure).
 */
final class NbdFuzzHarness {
  private NbdFuzzHarness() {}

  /** The decoder tests' allocator, also handing out the buffers whose release a run checks. */
  static final class FuzzAllocator extends TrackingAllocator {
    final List<ByteBuf> handedOut = new ArrayList<>();

    /** A buffer whose release the run checks (volume reads). */
    ByteBuf tracked(int capacity) {
      ByteBuf b = heapBuffer(capacity);
      handedOut.add(b);
      return b;
    }
  }

  /**
   * Feeds {@code input[1..]} in reads of {@code 1 + input[0]} bytes, running the loop's tasks after each; returns
   * the input buffers (to check they were released). A DecoderException caused by a protocol violation is a clean
   * refusal; any other exception escapes as a finding.
   */
  static List<ByteBuf> feed(EmbeddedChannel ch, byte[] input) {
    int split = input.length == 0 ? 1 : 1 + (input[0] & 0xff);
    List<ByteBuf> fed = new ArrayList<>();
    for (int at = 1; at < input.length && ch.isOpen(); at += split) {
      ByteBuf read = Unpooled.wrappedBuffer(Arrays.copyOfRange(input, at, Math.min(input.length, at + split)));
      fed.add(read);
      try {
        ch.writeInbound(read);
        ch.runPendingTasks();
      } catch (DecoderException e) {
        assertThat(e).hasCauseInstanceOf(NbdProtocolException.class);
        ch.close();
      }
    }
    return fed;
  }

  /** Releases whatever the channel wrote and holds, then checks every buffer of the run was released. */
  static void finish(EmbeddedChannel ch, List<ByteBuf> fed, FuzzAllocator alloc) {
    for (Object out; (out = ch.readOutbound()) != null; ) {
      ReferenceCountUtil.release(out);
    }
    ch.finishAndReleaseAll();
    for (ByteBuf b : fed) {
      assertThat(b.refCnt()).as("input buffer released").isZero();
    }
    for (ByteBuf b : alloc.handedOut) {
      assertThat(b.refCnt()).as("volume read buffer released").isZero();
    }
  }

  /** Fuzzing runs millions of connections: their per-connection INFO/WARN lines would drown everything else. */
  static Level quietNbdLogs() {
    Logger nbd = (Logger) LoggerFactory.getLogger("io.basalt.client.nbd");
    Level before = nbd.getLevel();
    nbd.setLevel(Level.ERROR);
    return before;
  }

  static void restoreNbdLogs(Level before) {
    ((Logger) LoggerFactory.getLogger("io.basalt.client.nbd")).setLevel(before);
  }

  /** Serves one {@link SyncVolume} named "vol" (also the default export); everything else is unknown. */
  static VolumeProvider provider(Volume vol) {
    return new VolumeProvider() {
      @Override
      public Volume open(String name) {
        if (name.equals(vol.name())) return vol;
        throw new BasaltException(ErrorCode.NO_SUCH_VOLUME, "no volume named " + name);
      }

      @Override
      public List<String> list() {
        return List.of(vol.name());
      }
    };
  }

  /**
   * A volume in a byte array that completes every call on the calling thread (so a run is deterministic and stays
   * on the embedded loop). Ranges are the NBD layer's to check: one outside the volume is recorded as a finding
   * (and refused, so the run goes on).
   */
  static final class SyncVolume implements Volume {
    private final byte[] data;
    private final FuzzAllocator alloc;
    final List<String> badRanges = new ArrayList<>();

    SyncVolume(int size, FuzzAllocator alloc) {
      this.data = new byte[size];
      this.alloc = alloc;
    }

    byte[] bytes(int offset, int length) {
      return Arrays.copyOfRange(data, offset, offset + length);
    }

    @Override
    public String name() {
      return "vol";
    }

    @Override
    public long size() {
      return data.length;
    }

    @Override
    public int blockSize() {
      return 4096;
    }

    @Override
    public CompletableFuture<ByteBuf> read(long offset, int length) {
      if (!inRange(offset, length)) return refused();
      return CompletableFuture.completedFuture(alloc.tracked(length).writeBytes(data, (int) offset, length));
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuf buf, boolean fua) {
      try {
        if (!inRange(offset, buf.readableBytes())) return refused();
        buf.getBytes(buf.readerIndex(), data, (int) offset, buf.readableBytes());
      } finally {
        buf.release();
      }
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> flush() {
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> trim(long offset, long length) {
      if (!inRange(offset, length)) return refused();
      Arrays.fill(data, (int) offset, (int) (offset + length), (byte) 0);
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
      return trim(offset, length);
    }

    @Override
    public void close() {}

    private boolean inRange(long offset, long length) {
      if (offset < 0 || length < 0 || offset > data.length - length) {
        badRanges.add("offset=" + offset + " length=" + length);
        return false;
      }
      return true;
    }

    private static <T> CompletableFuture<T> refused() {
      return CompletableFuture.failedFuture(new BasaltException(ErrorCode.INVALID_ARGUMENT, "outside the volume"));
    }
  }
}
