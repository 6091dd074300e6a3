package io.basalt.meta.state;

import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread ({@code basalt-meta-loop}) that reads and mutates the meta tables, so they need no locks.
 * RPC handlers, Curator callbacks and ZooKeeper write completions hop onto it.
 */
public final class MetaLoop implements Executor, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MetaLoop.class);

  private final ExecutorService executor;
  private volatile Thread thread;

  public MetaLoop() {
    this.executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
      Thread t = new Thread(() -> {
        thread = Thread.currentThread();
        r.run();
      }, "basalt-meta-loop");
      t.setDaemon(true);
      t.setUncaughtExceptionHandler((th, e) -> log.error("uncaught exception on meta loop", e));
      return t;
    });
  }

  /** Runs {@code task} on the loop; a task that throws is logged, never kills the thread. */
  @Override
  public void execute(Runnable task) {
    executor.execute(() -> {
      try {
        task.run();
      } catch (Throwable t) {
        log.error("meta loop task failed", t);
      }
    });
  }

  /** Runs {@code task} on the loop and completes with its result; fails when the loop is closed. */
  public <T> CompletableFuture<T> submit(Callable<T> task) {
    CompletableFuture<T> f = new CompletableFuture<>();
    try {
      executor.execute(() -> {
        try {
          f.complete(task.call());
        } catch (Throwable t) {
          f.completeExceptionally(t);
        }
      });
    } catch (RejectedExecutionException e) {
      f.completeExceptionally(new BasaltException(ErrorCode.UNAVAILABLE, "meta loop is closed", true, e));
    }
    return f;
  }

  public boolean inLoop() {
    return Thread.currentThread() == thread;
  }

  @Override
  public void close() {
    executor.shutdown();
    try {
      if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
