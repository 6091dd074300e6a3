package io.basalt.rpc;

import java.util.function.Supplier;

/**
 * The deadline of the request whose handler runs on this thread right now, for work the handler queues (as gRPC's
 * {@code Context} carries a deadline): {@link RpcServerHandler} sets it around the handler's synchronous part, and
 * a component that queues the request's work (the meta loop's mutation queue) captures {@link #current()} there
 * and refuses the work with DEADLINE_EXCEEDED if it is dequeued too late, instead of working for a caller that
 * gave up. Work queued outside a request (tickers, schedulers) sees {@link #NONE}.
 *
 * <p>A deadline is a {@link System#nanoTime()} reading of this process: the sender's budget counted from the
 * frame's receipt, never a time compared across hosts. Thread-confined; allocation-free per request.
 */
public final class RequestDeadline {
  /** No deadline. */
  public static final long NONE = Long.MIN_VALUE;

  private static final ThreadLocal<long[]> CURRENT = ThreadLocal.withInitial(() -> new long[] {NONE});

  private RequestDeadline() {}

  /** The deadline of the request being handled on this thread, or {@link #NONE}. */
  public static long current() {
    return CURRENT.get()[0];
  }

  /** Runs {@code handler} with {@code deadlineNanos} as this thread's request deadline, restoring the previous one. */
  public static <T> T with(long deadlineNanos, Supplier<T> handler) {
    long[] slot = CURRENT.get();
    long before = slot[0];
    slot[0] = deadlineNanos;
    try {
      return handler.get();
    } finally {
      slot[0] = before;
    }
  }

  /** Whether {@code deadlineNanos} has passed at {@code nowNanos} (never for {@link #NONE}). */
  public static boolean passed(long deadlineNanos, long nowNanos) {
    return deadlineNanos != NONE && nowNanos - deadlineNanos > 0;
  }
}
