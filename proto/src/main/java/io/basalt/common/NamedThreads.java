package io.basalt.common;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Thread factory naming threads {@code basalt-<component>-<n>} and logging uncaught exceptions. */
public final class NamedThreads implements ThreadFactory {
  private static final Logger log = LoggerFactory.getLogger(NamedThreads.class);
  private final String prefix;
  private final boolean daemon;
  private final AtomicInteger next = new AtomicInteger();

  public NamedThreads(String component, boolean daemon) {
    this.prefix = "basalt-" + component + "-";
    this.daemon = daemon;
  }

  public NamedThreads(String component) {
    this(component, true);
  }

  @Override
  public Thread newThread(Runnable r) {
    Thread t = new Thread(r, prefix + next.getAndIncrement());
    t.setDaemon(daemon);
    t.setUncaughtExceptionHandler((th, e) -> log.error("uncaught exception in thread {}", th.getName(), e));
    return t;
  }
}
