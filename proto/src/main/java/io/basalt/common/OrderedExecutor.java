package io.basalt.common;

import io.netty.channel.SingleThreadEventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;
import java.util.ArrayList;
import java.util.List;
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
 *
 * <p>Two shapes: plain single-thread executors, or the event loops of a Netty group ({@link #onLoops}), where a
 * request read on the key's own loop runs to completion on it without a thread hand-off and replies written from
 * the key's loop need no wake-up of another thread.
 */
public final class OrderedExecutor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OrderedExecutor.class);
  private final ExecutorService[] threads;
  private final EventExecutorGroup loops;

  public OrderedExecutor(String component, int threadCount) {
    threads = new ExecutorService[threadCount];
    NamedThreads factory = new NamedThreads(component);
    for (int i = 0; i < threadCount; i++) {
      threads[i] = Executors.newSingleThreadExecutor(factory);
    }
    loops = null;
  }

  private OrderedExecutor(EventExecutorGroup group) {
    List<ExecutorService> list = new ArrayList<>();
    for (EventExecutor e : group) list.add(e);
    threads = list.toArray(ExecutorService[]::new);
    loops = group;
  }

  /** Keys mapped onto the loops of {@code group}; {@link #close} shuts the group down. */
  public static OrderedExecutor onLoops(EventExecutorGroup group) {
    return new OrderedExecutor(group);
  }

  /** The executor all tasks of {@code key} run on. */
  public ExecutorService forKey(long key) {
    return threads[(int) Math.floorMod(mix(key), (long) threads.length)];
  }

  /** True when the calling thread is the one that runs {@code key}'s tasks (event loops only). */
  public boolean inKeyThread(long key) {
    return forKey(key) instanceof EventExecutor e && e.inEventLoop();
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

  /**
   * Runs {@code task} on the key's thread after everything that thread does in its current round (the frames read
   * from its sockets and the tasks queued to it): how a group commit gathers every write of the round. From another
   * thread, or on plain threads, the same as {@link #execute}.
   */
  public void afterRound(long key, Runnable task) {
    if (forKey(key) instanceof SingleThreadEventLoop loop && loop.inEventLoop()) {
      loop.executeAfterEventLoopIteration(() -> {
        try {
          task.run();
        } catch (Throwable t) {
          log.error("ordered task failed key={}", key, t);
        }
      });
    } else {
      execute(key, task);
    }
  }

  /**
   * Runs {@code task} now when already on the key's thread, else queues it there. Only for entry points (a request
   * just read from a socket): a task running on the key's thread that wants to run after what is queued must use
   * {@link #execute}.
   */
  public void run(long key, Runnable task) {
    if (inKeyThread(key)) {
      task.run();
    } else {
      execute(key, task);
    }
  }

  /** Runs {@code task} on the key's thread; its exception completes the future. */
  public <T> CompletableFuture<T> submit(long key, Supplier<T> task) {
    return CompletableFuture.supplyAsync(task, forKey(key));
  }

  /** {@link #submit} that runs at once when already on the key's thread (entry points only, see {@link #run}). */
  public <T> CompletableFuture<T> submitNow(long key, Supplier<T> task) {
    if (!inKeyThread(key)) return submit(key, task);
    try {
      return CompletableFuture.completedFuture(task.get());
    } catch (Throwable t) {
      return CompletableFuture.failedFuture(t);
    }
  }

  private static long mix(long key) {
    long h = key * 0x9E3779B97F4A7C15L;
    return h ^ (h >>> 32);
  }

  @Override
  public void close() {
    if (loops != null) {
      loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
      return;
    }
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
