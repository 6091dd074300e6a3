package io.basalt.session;

import java.time.Duration;

/**
 * Session timings shared by the meta leader and its followers (DESIGN.md "Sessions and leases", defaults 1 s / 10 s).
 *
 * @param keepaliveInterval how often a follower sends KeepAlive
 * @param sessionTimeout how long one KeepAlive keeps a session (and its leases) alive
 * @param driftMargin the follower ends its lease this much before {@code send time + sessionTimeout}: it covers
 *     monotonic-clock slew (500 ppm) and the follower's own scheduling delay between its clock read and the send
 * @param leaderGrace the leader expires a session this much after {@code receive time + sessionTimeout}
 * @param massExpiryShare more than this share of chunk sessions expiring within one session timeout is cluster
 *     jeopardy: leases are released but no replica is removed and no recovery starts
 * @param expirySettle how long an expired chunk session waits before its replicas are removed, so that the
 *     expiries of one mass event are all counted before any removal (they land within one keepalive interval)
 */
public record SessionConfig(Duration keepaliveInterval, Duration sessionTimeout, Duration driftMargin,
    Duration leaderGrace, double massExpiryShare, Duration expirySettle) {
  public static final Duration DEFAULT_KEEPALIVE = Duration.ofSeconds(1);
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
  public static final double DEFAULT_MASS_EXPIRY_SHARE = 0.5;

  public SessionConfig {
    positive(keepaliveInterval, "keepalive interval");
    positive(sessionTimeout, "session timeout");
    nonNegative(driftMargin, "drift margin");
    nonNegative(leaderGrace, "leader grace");
    nonNegative(expirySettle, "expiry settle");
    if (sessionTimeout.compareTo(keepaliveInterval.multipliedBy(2)) < 0) {
      throw new IllegalArgumentException("session timeout " + sessionTimeout.toMillis()
          + " ms must be at least twice the keepalive interval " + keepaliveInterval.toMillis() + " ms");
    }
    if (driftMargin.compareTo(sessionTimeout.dividedBy(2)) > 0) {
      throw new IllegalArgumentException("drift margin " + driftMargin.toMillis() + " ms above half the session"
          + " timeout " + sessionTimeout.toMillis() + " ms");
    }
    if (!(massExpiryShare > 0 && massExpiryShare <= 1)) {
      throw new IllegalArgumentException("mass-expiry share " + massExpiryShare + " outside (0, 1]");
    }
  }

  /** The defaults for {@code keepalive} and {@code timeout}; margins derive from them. */
  public static SessionConfig of(Duration keepalive, Duration timeout) {
    // Margin: a tenth of the timeout is far above 500 ppm slew and absorbs a follower GC pause of that size.
    Duration margin = timeout.dividedBy(10);
    Duration grace = timeout.dividedBy(10);
    Duration settle = keepalive.multipliedBy(2);
    return new SessionConfig(keepalive, timeout, margin, grace, DEFAULT_MASS_EXPIRY_SHARE, settle);
  }

  public static SessionConfig defaults() {
    return of(DEFAULT_KEEPALIVE, DEFAULT_TIMEOUT);
  }

  public SessionConfig withMassExpiryShare(double share) {
    return new SessionConfig(keepaliveInterval, sessionTimeout, driftMargin, leaderGrace, share, expirySettle);
  }

  /** How often the leader checks sessions: a quarter keepalive, at least 10 ms. */
  public Duration tickInterval() {
    Duration t = keepaliveInterval.dividedBy(4);
    return t.compareTo(Duration.ofMillis(10)) < 0 ? Duration.ofMillis(10) : t;
  }

  /** A tick later than this is a leader pause: every live session is extended by the excess. */
  public Duration pauseThreshold() {
    return tickInterval().multipliedBy(2).plus(Duration.ofMillis(50));
  }

  private static void positive(Duration d, String what) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be > 0, got " + d);
    }
  }

  private static void nonNegative(Duration d, String what) {
    if (d == null || d.isNegative()) {
      throw new IllegalArgumentException(what + " must be >= 0, got " + d);
    }
  }
}
