package io.basalt.common;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The start/stop order of one server's parts. A server starts its parts in dependency order and registers each
 * right after it started ({@link #add}); {@link #close} stops them in reverse, so nothing is stopped while a part
 * started after it (and using it) still runs. Every stop runs even when an earlier one failed; each failure is
 * logged with the part's name and kept ({@link #stopFailures}), never thrown, so one stuck part cannot leave the
 * others (ports, RocksDB handles, ZooKeeper sessions) open.
 *
 * <p>When a start fails half-way, the server closes its stack: exactly what had started is stopped.
 *
 * <p>Thread-safe; {@link #close} is idempotent, and a part registered after it is stopped at once.
 */
public final class ServiceStack implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ServiceStack.class);

  /** How to stop one part. */
  @FunctionalInterface
  public interface Stop {
    void stop() throws Exception;
  }

  private record Part(String name, Stop stop) {}

  private final String owner;
  private final ArrayDeque<Part> parts = new ArrayDeque<>();
  private final List<Exception> failures = new ArrayList<>();
  private boolean closed;

  /** @param owner the server this stack belongs to, for logs (e.g. "chunk cid=3") */
  public ServiceStack(String owner) {
    this.owner = owner;
  }

  /** Registers {@code part}, just started, to be closed in reverse order; returns it. */
  public <T extends AutoCloseable> T add(String name, T part) {
    onStop(name, part::close);
    return part;
  }

  /** Registers a stop action for a part that is not an {@link AutoCloseable}. */
  public void onStop(String name, Stop stop) {
    boolean late;
    synchronized (this) {
      late = closed;
      if (!late) {
        parts.push(new Part(name, stop));
      }
    }
    if (late) {
      stopOne(new Part(name, stop)); // started while the server was stopping: do not leak it
    }
  }

  /** Stops every registered part, the last registered first; logs and keeps failures. */
  @Override
  public void close() {
    List<Part> toStop;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      toStop = new ArrayList<>(parts); // push() put the newest first
      parts.clear();
    }
    for (Part p : toStop) {
      stopOne(p);
    }
  }

  private void stopOne(Part p) {
    try {
      p.stop().stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      failed(p, e);
    } catch (Exception e) {
      failed(p, e);
    } catch (Error e) { // an assertion or linkage error in one part still lets the others stop
      failed(p, new RuntimeException(e));
    }
  }

  private void failed(Part p, Exception e) {
    log.warn("stopping failed owner={} part={}: {}", owner, p.name(), e.toString(), e);
    synchronized (this) {
      failures.add(e);
    }
  }

  /** Names of the parts registered and not yet stopped, the next to stop first. */
  public synchronized List<String> running() {
    return parts.stream().map(Part::name).toList();
  }

  /** What failed while stopping, in stop order. */
  public synchronized List<Exception> stopFailures() {
    return List.copyOf(failures);
  }
}
