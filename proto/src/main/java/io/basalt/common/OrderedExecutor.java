package io.basalt.common;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks of one key (an extent's pid) in submission order on one fixed thread, so one extent's work needs
 * no locks while different extents run in parallel (BookKeeper's executeOrdered).
 */
public final class OrderedExecutor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OrderedExecutor.class);
  private final ExecutorService[] threads;

  public OrderedExecutor(String component, int threadCount) {
    threads = new ExecutorService[threadCount];
    NamedThreads factory = new NamedThreads(component);
    for (int i = 0; i < threadCount; i++) {
      threads[i] = Executors.newSingleThreadExecutor(factory);
    }
  }

  /** The executor all tasks of {@code key} run on. */
  public ExecutorService forKey(long key) {
    return threads[(int) Math.floorMod(mix(key), (long) threads.length)];
  }

  public void execute(long key, Runnable task) {
    forKey(key).execute(() -> {
      try {
        task.run();
      } catch (Throwable t) {
        log.error("ordered task failed key={}", key, t);
      }
    });
  }

  /** Runs {@code task} on the key's thread; its exception completes the future. */
  public <T> CompletableFuture<T> submit(long key, Supplier<T> task) {
    return CompletableFuture.supplyAsync(task, forKey(key));
  }

  private static long mix(long key) {
    long h = key * 0x9E3779B97F4A7C15L;
    return h ^ (h >>> 32);
  }

  @Override
  public void close() {
    for (ExecutorService t : threads) {
      t.shutdown();
    }
    for (ExecutorService t : threads) {
      try {
        if (!t.awaitTermination(5, TimeUnit.SECONDS)) {
          t.shutdownNow();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        t.shutdownNow();
      }
    }
  }
}
