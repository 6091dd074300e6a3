package io.basalt.client.volume;

import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.CompletableFuture;

/**
 * The completion of one asynchronous I/O, called exactly once: {@code result} on success (a buffer result is then the
 * receiver's to release), else {@code error}. The block client's hot path completes these directly, without a
 * {@link java.util.concurrent.CompletableFuture} per step. Called on whatever thread completed the I/O (usually the
 * event loop its reply arrived on); must not block.
 */
@FunctionalInterface
public interface IoCallback<T> {
  void done(T result, Throwable error);

  /** A callback that completes {@code future}, releasing a reference-counted result nobody can take any more. */
  static <T> IoCallback<T> of(CompletableFuture<T> future) {
    return (result, error) -> {
      if (error != null) {
        future.completeExceptionally(error);
      } else if (!future.complete(result)) {
        ReferenceCountUtil.release(result);
      }
    };
  }
}
