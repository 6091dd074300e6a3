package io.basalt.session;

import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The follower's view of its session (DESIGN.md "Sessions and leases"): {@code CONNECTED -> JEOPARDY} when
 * keepalives fail but the local lease holds (keep serving), {@code -> EXPIRED} when the local lease runs out (stop
 * acting as lease owner at once), {@code -> RECONNECT} while a new session is being opened, {@code -> CONNECTED}
 * under the new session (new epoch: leases of the old one are gone).
 *
 * <p>The local lease runs from the <em>send</em> time of the last answered keepalive plus the session timeout
 * minus the drift margin, so it always ends before the leader's (which runs from its receive time plus a grace).
 * Pure state: the caller passes times and reports transitions; thread-safe (synchronized), since the data path asks
 * {@link #leaseValid} from many threads.
 */
public final class FollowerSession {
  private static final Logger log = LoggerFactory.getLogger(FollowerSession.class);

  public enum State { CONNECTING, CONNECTED, JEOPARDY, EXPIRED, RECONNECT }

  /** A state change, for the listener. */
  public record Transition(State from, State to, String uuid, long epoch, String reason) {}

  private final SessionConfig cfg;
  private final Supplier<String> who;
  private State state = State.CONNECTING;
  private String uuid = "";
  private long epoch;
  private long leaseUntil = Long.MIN_VALUE;
  private boolean hasLease;
  private long lastSuccess;
  /** What the data path reads on every I/O without taking the lock: written under it after every change. */
  private volatile LeaseView view = new LeaseView(0, Long.MIN_VALUE, false);

  private record LeaseView(long epoch, long until, boolean active) {}

  private void publish() {
    view = new LeaseView(epoch, leaseUntil, hasLease && (state == State.CONNECTED || state == State.JEOPARDY));
  }

  /** {@code who}: ids for log lines, e.g. "cid=3" (asked at each line: a chunk learns its cid after start). */
  public FollowerSession(SessionConfig cfg, Supplier<String> who) {
    this.cfg = cfg;
    this.who = who;
  }

  public synchronized State state() {
    return state;
  }

  /** The session to quote in the next keepalive: empty uuid asks for a new one. */
  public synchronized String uuid() {
    return state == State.EXPIRED || state == State.RECONNECT ? "" : uuid;
  }

  public synchronized long epoch() {
    return epoch;
  }

  /** Whether a lease held under session {@code sessionEpoch} is still valid at {@code now}. Lock-free. */
  public boolean leaseValid(long sessionEpoch, long now) {
    LeaseView v = view;
    return v.active && v.epoch == sessionEpoch && now < v.until;
  }

  /** Nanos of local lease left at {@code now} (negative when gone). */
  public synchronized long leaseRemaining(long now) {
    return hasLease ? leaseUntil - now : Long.MIN_VALUE;
  }

  /**
   * A keepalive sent at {@code sentAt} was answered with session {@code newUuid}/{@code newEpoch}. Returns the
   * transition, or null.
   */
  public synchronized Transition answered(long sentAt, String newUuid, long newEpoch, long timeoutNanos, long now) {
    State from = state;
    long until = sentAt + timeoutNanos - cfg.driftMargin().toNanos();
    lastSuccess = now;
    if (!newUuid.equals(uuid) || newEpoch != epoch) {
      if (from == State.CONNECTED || from == State.JEOPARDY) {
        // The leader gave us another session while ours was valid: the old one's leases are gone now.
        log.warn("session replaced by the leader {} session={} epoch={} newSession={} newEpoch={}", who.get(), uuid,
            epoch, newUuid, newEpoch);
      }
      uuid = newUuid;
      epoch = newEpoch;
      leaseUntil = until;
      hasLease = true;
      return move(State.CONNECTED, from == State.CONNECTING ? "session opened" : "new session opened");
    }
    leaseUntil = Math.max(leaseUntil, until);
    hasLease = true;
    Transition t = from == State.JEOPARDY ? move(State.CONNECTED, "keepalive answered") : null;
    publish();
    return t;
  }

  /** A keepalive failed; {@code sessionGone}: the leader said NO_SESSION. Returns the transition, or null. */
  public synchronized Transition failed(boolean sessionGone, String error, long now) {
    if (sessionGone && (state == State.CONNECTED || state == State.JEOPARDY)) {
      hasLease = false;
      return move(State.EXPIRED, "leader says the session is gone: " + error);
    }
    return check(now);
  }

  /** Time-driven transitions: JEOPARDY after two silent keepalive intervals, EXPIRED when the lease runs out. */
  public synchronized Transition check(long now) {
    if ((state == State.CONNECTED || state == State.JEOPARDY) && now >= leaseUntil) {
      hasLease = false;
      return move(State.EXPIRED, "local lease ran out " + (now - leaseUntil) / 1_000_000 + " ms ago");
    }
    if (state == State.CONNECTED && now - lastSuccess > 2 * cfg.keepaliveInterval().toNanos()) {
      return move(State.JEOPARDY, "no keepalive answered for " + (now - lastSuccess) / 1_000_000 + " ms");
    }
    return null;
  }

  /** The runner is about to ask for a new session after an expiry. */
  public synchronized Transition reconnecting() {
    return state == State.EXPIRED ? move(State.RECONNECT, "opening a new session") : null;
  }

  private Transition move(State to, String reason) {
    State from = state;
    state = to;
    publish();
    Transition t = new Transition(from, to, uuid, epoch, reason);
    String line = "session " + from + " -> " + to + " " + who.get() + " session=" + uuid + " epoch=" + epoch + " reason="
        + reason;
    if (to == State.EXPIRED || to == State.JEOPARDY) {
      log.warn(line);
    } else {
      log.info(line);
    }
    return t;
  }
}
