package io.basalt.rpc;

import io.netty.util.HashedWheelTimer;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The one wheel timer of a process that arms every RPC deadline: a wheel ticks every 10 ms whether or not anything
 * is pending, so one per client factory (several per server) cost wake-ups on every core for nothing. Its thread is
 * a daemon and is never stopped: timeouts of a closed factory's calls just find nothing to fail.
 */
final class DeadlineTimer {
  private DeadlineTimer() {}

  private static final class Holder {
    static final HashedWheelTimer TIMER = new HashedWheelTimer(daemon(), 10, TimeUnit.MILLISECONDS);
  }

  static HashedWheelTimer get() {
    return Holder.TIMER;
  }

  private static ThreadFactory daemon() {
    return r -> {
      Thread t = new Thread(r, "basalt-rpc-deadlines");
      t.setDaemon(true);
      return t;
    };
  }
}
