package io.basalt.cli.local;

import io.basalt.cli.output.DurationFormat;
import io.basalt.session.SessionConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The session timings a local cluster's meta and chunk servers run with ({@code local up --keepalive-interval
 * --session-timeout}). A null field was not given: the servers use their default and are not passed the flag.
 *
 * @param keepaliveInterval how often chunks send KeepAlive, or null for the default (1s)
 * @param sessionTimeout how long a session lives after its last keepalive, or null for the default (10s)
 */
public record SessionTimings(Duration keepaliveInterval, Duration sessionTimeout) {
  /** Neither flag given. */
  public static final SessionTimings DEFAULTS = new SessionTimings(null, null);

  public Duration effectiveKeepaliveInterval() {
    return keepaliveInterval != null ? keepaliveInterval : SessionConfig.DEFAULT_KEEPALIVE;
  }

  public Duration effectiveSessionTimeout() {
    return sessionTimeout != null ? sessionTimeout : SessionConfig.DEFAULT_TIMEOUT;
  }

  /** Each field as given here, else as in {@code other} (e.g. what the cluster was started with). */
  public SessionTimings orElse(SessionTimings other) {
    return new SessionTimings(keepaliveInterval != null ? keepaliveInterval : other.keepaliveInterval,
        sessionTimeout != null ? sessionTimeout : other.sessionTimeout);
  }

  /** Whether the servers would run with the same values (a default and the same value given count as equal). */
  public boolean sameEffect(SessionTimings other) {
    return effectiveKeepaliveInterval().equals(other.effectiveKeepaliveInterval())
        && effectiveSessionTimeout().equals(other.effectiveSessionTimeout());
  }

  /**
   * Throws IllegalArgumentException, with a message naming the flags, when the servers would refuse these timings:
   * a non-positive duration, or a session timeout below twice the keepalive interval (a session must survive a
   * lost keepalive).
   */
  public void validate() {
    positive(keepaliveInterval, "--keepalive-interval");
    positive(sessionTimeout, "--session-timeout");
    if (effectiveSessionTimeout().compareTo(effectiveKeepaliveInterval().multipliedBy(2)) < 0) {
      throw new IllegalArgumentException("--session-timeout " + flagValue(sessionTimeout, effectiveSessionTimeout())
          + " must be at least twice --keepalive-interval " + flagValue(keepaliveInterval,
          effectiveKeepaliveInterval()) + ", so that a session survives one lost keepalive");
    }
  }

  /** The flags to pass to meta and every chunk server: only those given. */
  public List<String> args() {
    List<String> out = new ArrayList<>(4);
    if (keepaliveInterval != null) {
      out.add("--keepalive-interval");
      out.add(DurationFormat.flag(keepaliveInterval));
    }
    if (sessionTimeout != null) {
      out.add("--session-timeout");
      out.add(DurationFormat.flag(sessionTimeout));
    }
    return out;
  }

  /** "keepalive interval 500ms, session timeout 3s"; a default is marked "(default)". */
  @Override
  public String toString() {
    return "keepalive interval " + describe(keepaliveInterval, effectiveKeepaliveInterval()) + ", session timeout "
        + describe(sessionTimeout, effectiveSessionTimeout());
  }

  private static String flagValue(Duration given, Duration effective) {
    return DurationFormat.flag(effective) + (given == null ? " (the default)" : "");
  }

  private static String describe(Duration given, Duration effective) {
    return DurationFormat.flag(effective) + (given == null ? " (default)" : "");
  }

  private static void positive(Duration d, String flag) {
    if (d != null && (d.isNegative() || d.isZero())) {
      throw new IllegalArgumentException(flag + " must be positive, not " + d.toMillis() + "ms");
    }
  }
}
