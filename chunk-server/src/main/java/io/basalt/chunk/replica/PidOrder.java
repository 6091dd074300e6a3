package io.basalt.chunk.replica;

import io.basalt.common.OrderedExecutor;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

/**
 * Keeps one pid's owner calls in arrival order when one of them has to wait (for meta to confirm a new epoch): the
 * calls after it queue here instead of blocking the pid's event loop, and run in order once it completes. A call
 * that completes at once (the common case) costs one map lookup.
 *
 * <p>Thread: each pid's entry only on that pid's thread (the map is concurrent because pids differ).
 */
final class PidOrder {
  private final OrderedExecutor ordered;
  private final ConcurrentHashMap<Long, ArrayDeque<Runnable>> held = new ConcurrentHashMap<>();

  PidOrder(OrderedExecutor ordered) {
    this.ordered = ordered;
  }

  /** Runs {@code task} now, or after the pid's held calls. Pid thread. */
  <T> CompletableFuture<T> submit(long pid, Supplier<CompletableFuture<T>> task) {
    ArrayDeque<Runnable> queue = held.get(pid);
    if (queue == null) {
      CompletableFuture<T> f = start(task);
      if (!f.isDone()) hold(pid, f);
      return f;
    }
    CompletableFuture<T> out = new CompletableFuture<>();
    queue.add(() -> {
      CompletableFuture<T> f = start(task);
      if (!f.isDone()) hold(pid, f);
      f.whenComplete((v, t) -> {
        if (t != null) out.completeExceptionally(t);
        else out.complete(v);
      });
    });
    return out;
  }

  private static <T> CompletableFuture<T> start(Supplier<CompletableFuture<T>> task) {
    try {
      return task.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private void hold(long pid, CompletableFuture<?> blocker) {
    held.put(pid, new ArrayDeque<>());
    blocker.whenComplete((v, t) -> {
      try {
        ordered.execute(pid, () -> release(pid));
      } catch (RejectedExecutionException e) {
        // shutting down: the held calls are never answered, their connections close
      }
    });
  }

  /** Runs what queued behind the blocker, until one of them blocks again (the rest then queue behind it). */
  private void release(long pid) {
    ArrayDeque<Runnable> queue = held.remove(pid);
    while (queue != null && !queue.isEmpty()) {
      queue.poll().run();
      ArrayDeque<Runnable> again = held.get(pid);
      if (again != null) {
        again.addAll(queue);
        return;
      }
    }
  }
}
