package io.basalt.meta.election;

import io.basalt.session.SessionConfig;
import java.time.Duration;

/**
 * Whether a meta failover can finish before the chunks' leases lapse, given the ZooKeeper session timeout that
 * was actually negotiated (the servers clamp the asked one to their [minSessionTimeout, maxSessionTimeout]).
 *
 * <p>A silent leader is replaced once ZooKeeper expires its session (at most the negotiated timeout after it went
 * silent), the standby has bumped the epoch and loaded the tables, and the chunks have found it: the takeover
 * allowance, {@code max(500 ms, session timeout / 10)}. A chunk's lease ends {@code session timeout - drift
 * margin} after the send of its last answered keepalive, which may be one keepalive interval before the leader
 * went silent. So the rule is:
 *
 * <pre>negotiated ZooKeeper timeout + takeover allowance &lt;= session timeout - drift margin - keepalive interval</pre>
 *
 * With the defaults (session 10 s, keepalive 1 s, drift 1 s): 4 s + 1 s &lt;= 8 s. The default asked timeout is
 * two fifths of the session timeout ({@link #defaultZkTimeout}): safe for every session timeout of 2 s or more
 * with a keepalive interval of at most a tenth of it, as long as ZooKeeper grants it (its minimum is 2 x tickTime;
 * Basalt's embedded ZooKeeper ticks every 500 ms, so 1 s).
 */
public record ZkTimeoutRule(Duration asked, SessionConfig sessions) {
  public static final Duration MIN_TAKEOVER_ALLOWANCE = Duration.ofMillis(500);

  /** The verdict on one negotiated timeout; {@code message} says why, naming the flags to change when unsafe. */
  public record Verdict(boolean safe, String message) {}

  /** The default ZooKeeper session timeout for {@code sessions}: two fifths of the session timeout. */
  public static Duration defaultZkTimeout(SessionConfig sessions) {
    return sessions.sessionTimeout().multipliedBy(2).dividedBy(5);
  }

  public Duration takeoverAllowance() {
    Duration tenth = sessions.sessionTimeout().dividedBy(10);
    return tenth.compareTo(MIN_TAKEOVER_ALLOWANCE) < 0 ? MIN_TAKEOVER_ALLOWANCE : tenth;
  }

  /** How long a failover may take: session timeout - drift margin - keepalive interval. */
  public Duration budget() {
    return sessions.sessionTimeout().minus(sessions.driftMargin()).minus(sessions.keepaliveInterval());
  }

  public Verdict check(Duration negotiated) {
    Duration failover = negotiated.plus(takeoverAllowance());
    String sums = "negotiated ZooKeeper session timeout " + negotiated.toMillis() + " ms (asked "
        + asked.toMillis() + " ms with --zk-session-timeout) + " + takeoverAllowance().toMillis()
        + " ms for election, table load and the chunks finding the new leader = " + failover.toMillis()
        + " ms; chunk leases last --session-timeout " + sessions.sessionTimeout().toMillis() + " ms - drift margin "
        + sessions.driftMargin().toMillis() + " ms - --keepalive-interval " + sessions.keepaliveInterval().toMillis()
        + " ms = " + budget().toMillis() + " ms";
    if (failover.compareTo(budget()) <= 0) {
      return new Verdict(true, "meta failover fits in the chunk leases: " + sums);
    }
    String hint = negotiated.compareTo(asked) > 0
        ? " (ZooKeeper raised the asked timeout to its minSessionTimeout, 2 x tickTime by default: lower the"
            + " servers' tickTime/minSessionTimeout)"
        : "";
    return new Verdict(false, "unsafe ZooKeeper session timeout: a meta failover would outlast the chunk leases: "
        + sums + ". Lower --zk-session-timeout" + hint + " or raise --session-timeout (with --keepalive-interval"
        + " at most a tenth of it).");
  }
}
