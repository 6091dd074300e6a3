package io.basalt.failpoint;

import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Named fault-injection points of one process (etcd gofail style), switched at run time by a test-only admin RPC
 * or at start by the system property {@code basalt.failpoints} ({@code "name=action;name=action"}). Off by default
 * and free when off: {@link #inject} is one volatile read while nothing is active. One instance per server,
 * passed to the components that hold points (never a static singleton: several servers share a test JVM).
 *
 * <p>Actions: {@code off}, {@code on} (for {@link #isOn} switches), {@code error} / {@code error(CODE)} (throw a
 * {@link BasaltException}), {@code delay(MS)}, {@code hang} (block until switched off), {@code throw} (an
 * unexpected RuntimeException), {@code exit} (halt the process at once: a crash between two steps). A prefix
 * {@code N*} fires N times, then the point turns itself off. A point of one extent ({@link #inject(String, long)}) is
 * also switched for a single pid by the name {@code name@pid}.
 */
public final class Failpoints {
  private static final Logger log = LoggerFactory.getLogger(Failpoints.class);
  private static final Pattern ACTION = Pattern.compile("(?:(\\d+)\\*)?(off|on|error|delay|hang|throw|exit)(?:\\(([^)]*)\\))?");

  private record Action(String kind, String arg, int remaining) {}

  private final Map<String, Action> active = new ConcurrentHashMap<>();
  /** Callers of {@link #injectAsync} waiting for a hang to be switched off; guarded by this. */
  private final Map<String, List<CompletableFuture<Void>>> hanging = new HashMap<>();
  private volatile boolean any;

  /** Points from {@code basalt.failpoints}, if set. */
  public static Failpoints fromSystemProperty() {
    Failpoints f = new Failpoints();
    String spec = System.getProperty("basalt.failpoints", "");
    for (String item : spec.split(";")) {
      if (item.isBlank()) continue;
      int eq = item.indexOf('=');
      if (eq <= 0) throw new IllegalArgumentException("bad failpoint '" + item + "' (expected name=action)");
      f.set(item.substring(0, eq).trim(), item.substring(eq + 1).trim());
    }
    return f;
  }

  /** Sets or (with "off") clears a point. Invalid actions are refused with INVALID_ARGUMENT. */
  public synchronized void set(String name, String action) {
    if (name == null || name.isBlank()) {
      throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "failpoint name is empty");
    }
    Matcher m = ACTION.matcher(action.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "bad failpoint action '" + action
          + "' (expected off|on|error[(CODE)]|delay(MS)|hang|throw|exit, optionally N*...)");
    }
    if (m.group(2).equals("off")) {
      active.remove(name);
    } else {
      int times = m.group(1) == null ? -1 : Integer.parseInt(m.group(1));
      active.put(name, new Action(m.group(2), m.group(3), times));
    }
    any = !active.isEmpty();
    notifyAll(); // releases points hanging on this name
    Action now = active.get(name);
    if (now == null || !"hang".equals(now.kind)) {
      List<CompletableFuture<Void>> released = hanging.remove(name);
      if (released != null) released.forEach(f -> f.complete(null));
    }
    log.warn("failpoint {} = {}", name, action);
  }

  /** "name=action" of every active point. */
  public List<String> list() {
    List<String> out = new ArrayList<>();
    active.forEach((k, v) -> out.add(k + "=" + (v.remaining > 0 ? v.remaining + "*" : "") + v.kind
        + (v.arg == null ? "" : "(" + v.arg + ")")));
    out.sort(null);
    return out;
  }

  /** Whether the switch {@code name} is on (consumes one firing of a counted point). */
  public boolean isOn(String name) {
    return any && fire(name) != null;
  }

  /** Runs the action of {@code name}, if any: may throw, sleep, hang or halt the process. */
  public void inject(String name) {
    if (!any) return;
    Action a = fire(name);
    if (a == null) return;
    inject(a, name);
  }

  /**
   * {@link #inject} for a point of one extent: fires when {@code name} is set (every pid) or {@code name@pid} is (that
   * pid only, e.g. {@code chunk.apply.throw@17}), the latter first. The pid's name is built only while some point is
   * active.
   */
  public void inject(String name, long pid) {
    if (!any) return;
    String scoped = name + "@" + pid;
    Action a = fire(scoped);
    if (a != null) {
      inject(a, scoped);
      return;
    }
    inject(name);
  }

  private void inject(Action a, String name) {
    switch (a.kind) {
      case "error" -> throw new BasaltException(a.arg == null ? ErrorCode.IO_ERROR
          : ErrorCode.valueOf(a.arg.toUpperCase(Locale.ROOT)), "failpoint " + name, false);
      case "throw" -> throw new IllegalStateException("failpoint " + name);
      case "delay" -> pause(name, Long.parseLong(a.arg == null ? "1000" : a.arg.trim()));
      case "hang" -> hang(name);
      case "exit" -> {
        log.error("failpoint {} halts the process", name);
        Runtime.getRuntime().halt(137);
      }
      default -> { }
    }
  }

  /**
   * {@link #inject} for a point on an event loop, which must not sleep or hang: null when nothing fires (go on now),
   * else a future that completes when the caller may go on (after the delay, once a hang is switched off) or fails
   * with the injected error. {@code exit} halts at once, as {@link #inject} does.
   */
  public CompletableFuture<Void> injectAsync(String name) {
    if (!any) return null;
    Action a = fire(name);
    if (a == null) return null;
    switch (a.kind) {
      case "delay" -> {
        long ms = Long.parseLong(a.arg == null ? "1000" : a.arg.trim());
        return CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(ms, TimeUnit.MILLISECONDS));
      }
      case "hang" -> {
        CompletableFuture<Void> released = new CompletableFuture<>();
        synchronized (this) {
          if (active.containsKey(name) && "hang".equals(active.get(name).kind)) {
            hanging.computeIfAbsent(name, k -> new ArrayList<>()).add(released);
            return released;
          }
        }
        return CompletableFuture.completedFuture(null);
      }
      default -> {
        try {
          inject(a, name);
          return CompletableFuture.completedFuture(null);
        } catch (RuntimeException e) {
          return CompletableFuture.failedFuture(e);
        }
      }
    }
  }

  private synchronized Action fire(String name) {
    Action a = active.get(name);
    if (a == null) return null;
    if (a.remaining > 0) {
      if (a.remaining == 1) active.remove(name);
      else active.put(name, new Action(a.kind, a.arg, a.remaining - 1));
      any = !active.isEmpty();
    }
    log.warn("failpoint {} fired: {}", name, a.kind);
    return a;
  }

  private static void pause(String name, long ms) {
    try {
      Thread.sleep(ms); // the injected fault itself, not synchronisation
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BasaltException(ErrorCode.INTERNAL, "interrupted in failpoint " + name, false);
    }
  }

  private synchronized void hang(String name) {
    try {
      while (active.containsKey(name) && "hang".equals(active.get(name).kind)) {
        wait();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BasaltException(ErrorCode.INTERNAL, "interrupted in failpoint " + name, false);
    }
  }
}
