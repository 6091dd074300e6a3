package io.basalt.rpc;

import java.time.Duration;

/** Default per-call deadlines; every RPC has one. */
public final class Deadlines {
  public static final Duration META = Duration.ofSeconds(10);
  public static final Duration DATA = Duration.ofSeconds(30);
  public static final Duration ADMIN = Duration.ofSeconds(30);

  private Deadlines() {}
}
