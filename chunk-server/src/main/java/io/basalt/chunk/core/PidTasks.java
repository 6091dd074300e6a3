package io.basalt.chunk.core;

import io.basalt.common.OrderedExecutor;
import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fault isolation for request handlers (DESIGN.md "Fault isolation"): runs work off the event loop and turns an
 * unexpected exception into an INTERNAL failure of that one request, logged with its pid; a BasaltException passes
 * through unchanged. Nothing thrown here can reach the event loop or take the process down. Stateless.
 */
public final class PidTasks {
  private static final Logger log = LoggerFactory.getLogger(PidTasks.class);

  private PidTasks() {}

  /**
   * Runs {@code task} on the pid's ordered thread (at once when the request was read on it: run to completion) and
   * flattens the future it returns. For request entry points only.
   */
  public static <T> CompletableFuture<T> onPid(OrderedExecutor ordered, long pid, String op,
      Supplier<CompletableFuture<T>> task) {
    if (ordered.inKeyThread(pid)) {
      CompletableFuture<T> f;
      try {
        f = task.get();
      } catch (Throwable t) {
        f = CompletableFuture.failedFuture(t);
      }
      return isolate(f, pid, op);
    }
    CompletableFuture<CompletableFuture<T>> outer;
    try {
      outer = ordered.submitNow(pid, task);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(shuttingDown());
    }
    return isolate(outer.thenCompose(f -> f), pid, op);
  }

  /** Runs {@code task} on {@code executor} (io pool). */
  public static <T> CompletableFuture<T> on(Executor executor, long pid, String op, Supplier<T> task) {
    try {
      return isolate(CompletableFuture.supplyAsync(task, executor), pid, op);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(shuttingDown());
    }
  }

  /** Maps a foreign failure to INTERNAL with pid context (logged once, here). */
  public static <T> CompletableFuture<T> isolate(CompletableFuture<T> f, long pid, String op) {
    if (f.isDone() && !f.isCompletedExceptionally()) return f;
    CompletableFuture<T> out = new CompletableFuture<>();
    f.whenComplete((v, t) -> {
      if (t == null) {
        out.complete(v);
        return;
      }
      Throwable c = unwrap(t);
      if (c instanceof BasaltException b) {
        out.completeExceptionally(b);
      } else {
        // The RPC server logs the stack trace of the INTERNAL reply; this line ties it to the extent.
        log.error("{} failed unexpectedly pid={} error={}", op, pid, c.toString());
        out.completeExceptionally(new BasaltException(ErrorCode.INTERNAL, op + " failed pid=" + pid + ": " + c,
            false, c));
      }
    });
    return out;
  }

  private static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }

  private static BasaltException shuttingDown() {
    return new BasaltException(ErrorCode.UNAVAILABLE, "chunk server shutting down", true);
  }
}
