package io.basalt.client.volume;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;

/**
 * An open volume: asynchronous block I/O by byte offset. Implementations are thread-safe; completions may run
 * on any thread and must not be blocked on.
 *
 * <p>Failures complete the future exceptionally with an {@link io.basalt.rpc.BasaltException}:
 * {@code INVALID_ARGUMENT} for ranges outside {@code [0, size())}, {@code NO_SPACE}, {@code IO_ERROR},
 * {@code TIMEOUT} (the outcome of a write is then unknown: in doubt), and so on.
 */
public interface Volume extends AutoCloseable {
  String name();

  /** Size in bytes (a multiple of {@link #blockSize()}). */
  long size();

  /** Preferred I/O granularity in bytes (4096). Smaller aligned-to-512 I/O works, at read-modify-write cost. */
  int blockSize();

  /** Reads {@code length} bytes; unwritten ranges read as zeros. The caller releases the returned buffer. */
  CompletableFuture<ByteBuf> read(long offset, int length);

  /**
   * Writes {@code data.readableBytes()} bytes at {@code offset}. Ownership of {@code data} passes to the volume,
   * which releases it (also on failure). With {@code fua} the write is durable on every replica when the future
   * completes; otherwise durable after the next {@link #flush()}.
   */
  CompletableFuture<Void> write(long offset, ByteBuf data, boolean fua);

  /**
   * {@link #read(long, int)} completing {@code done} directly; implementations on the hot path override it to avoid
   * a future per I/O.
   */
  default void read(long offset, int length, IoCallback<ByteBuf> done) {
    CompletableFuture<ByteBuf> f;
    try {
      f = read(offset, length);
    } catch (RuntimeException e) {
      done.done(null, e);
      return;
    }
    f.whenComplete(done::done);
  }

  /** {@link #write(long, ByteBuf, boolean)} completing {@code done} directly (see {@link #read(long, int, IoCallback)}). */
  default void write(long offset, ByteBuf data, boolean fua, IoCallback<Void> done) {
    CompletableFuture<Void> f;
    try {
      f = write(offset, data, fua);
    } catch (RuntimeException e) {
      done.done(null, e);
      return;
    }
    f.whenComplete(done::done);
  }

  /** Makes every write completed before this call durable on every replica (WAL sync). */
  CompletableFuture<Void> flush();

  /** Discards a range; it reads as zeros afterwards. */
  CompletableFuture<Void> trim(long offset, long length);

  /** Writes zeros over a range. */
  CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua);

  @Override
  void close();
}
