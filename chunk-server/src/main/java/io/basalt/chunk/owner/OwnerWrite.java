package io.basalt.chunk.owner;

import io.basalt.rpc.BasaltException;
import java.util.concurrent.CompletableFuture;

/**
 * The acknowledgement set of one owner write: completes with its gen once every other replica has acked, or
 * fails with the first fatal error (the owner was deposed or is shutting down). Thread: the pid's ordered thread.
 */
final class OwnerWrite {
  private final long gen;
  private final CompletableFuture<Long> future = new CompletableFuture<>();
  private int remaining;

  OwnerWrite(long gen, int replicas) {
    this.gen = gen;
    this.remaining = replicas;
    if (replicas == 0) future.complete(gen);
  }

  void acked() {
    if (--remaining == 0) future.complete(gen);
  }

  void fail(BasaltException cause) {
    future.completeExceptionally(cause);
  }

  CompletableFuture<Long> future() {
    return future;
  }
}
