package io.basalt.chunk.store;

import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import org.rocksdb.RocksDBException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lifecycle and failure gate of one store. Calls run under a shared read lock so {@link #closeOnce} cannot free
 * native handles under them; once failed (failed write/sync or RocksDB background error) mutations are refused
 * with {@code IO_ERROR} for good, because DESIGN.md forbids retrying and assuming the data is safe. A full disk
 * ({@link NoSpace}) is not a failure: such a call ends in {@code NO_SPACE} and the store stays usable.
 */
final class StoreGuard {
  private static final Logger log = LoggerFactory.getLogger(StoreGuard.class);

  @FunctionalInterface
  interface RocksCall<T> {
    T call() throws RocksDBException, IOException;
  }

  private final Path dir;
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private final AtomicReference<String> failure = new AtomicReference<>();
  private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();
  private boolean closed; // guarded by lifecycle

  StoreGuard(Path dir) {
    this.dir = dir;
  }

  /** Runs {@code call}, translating RocksDB and data file errors to {@code IO_ERROR} with op/pid context. */
  <T> T call(String op, long pid, boolean mutates, RocksCall<T> call) {
    lifecycle.readLock().lock();
    try {
      if (closed) throw new BasaltException(ErrorCode.UNAVAILABLE, "replica store closed op=" + op + " pid=" + pid);
      String failed = failure.get();
      if (mutates && failed != null) {
        throw new BasaltException(ErrorCode.IO_ERROR,
            "replica store failed op=" + op + " pid=" + pid + " cause=" + failed);
      }
      return call.call();
    } catch (RocksDBException e) {
      // A full disk is not a failed store (the write was not applied, nothing needs replacing): NO_SPACE, so the
      // owner and the replicate paths move the write elsewhere instead of treating the replica as broken.
      ErrorCode code = NoSpace.is(e) ? ErrorCode.NO_SPACE : ErrorCode.IO_ERROR;
      throw new BasaltException(code, op + " failed pid=" + pid + " dir=" + dir + ": " + e.getMessage(), false, e);
    } catch (IOException e) {
      throw new BasaltException(ErrorCode.IO_ERROR,
          op + " failed pid=" + pid + " dir=" + dir + ": " + e.getMessage(), false, e);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /**
   * Records the first failure and tells the listeners (on the failing thread: they must only hand it off); later
   * failures are ignored (the store is already refusing writes).
   */
  void fail(String reason) {
    if (failure.compareAndSet(null, reason)) {
      log.error("replica store failed, refusing further writes dir={} reason={}", dir, reason);
      for (Consumer<String> l : listeners) {
        try {
          l.accept(reason);
        } catch (RuntimeException e) {
          log.error("store failure listener failed dir={}", dir, e);
        }
      }
    }
  }

  /** {@code listener} hears the store's failure once; at once if it failed already. */
  void onFailure(Consumer<String> listener) {
    AtomicBoolean heard = new AtomicBoolean();
    Consumer<String> once = reason -> {
      if (heard.compareAndSet(false, true)) listener.accept(reason);
    };
    listeners.add(once);
    String failed = failure.get();
    if (failed != null) once.accept(failed); // failed before (or while) it was added
  }

  Optional<String> failure() {
    return Optional.ofNullable(failure.get());
  }

  /** Runs {@code release} once, after every running call has finished; later calls see UNAVAILABLE. */
  void closeOnce(Runnable release) {
    lifecycle.writeLock().lock();
    try {
      if (closed) return;
      closed = true;
      release.run();
    } finally {
      lifecycle.writeLock().unlock();
    }
  }
}
