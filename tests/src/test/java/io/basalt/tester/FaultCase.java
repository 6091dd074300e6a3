package io.basalt.tester;

import java.util.Optional;

/** A kind of failure the tester injects (issue 14 point 2): it plans a {@link Fault} on a target it picks. */
interface FaultCase {
  /** The name {@code --cases} takes, e.g. {@code kill-owner}. */
  String name();

  /** One line for {@code --list}. */
  String summary();

  /** Whether CI's short round runs it (quick to inject and to recover from). */
  boolean fast();

  /** Why this machine or cluster cannot run it (the case is skipped with a line saying so), or empty. */
  default Optional<String> unavailable(TesterCluster cluster) {
    return Optional.empty();
  }

  /** Picks a target with {@code ctx.random()} and returns the fault, not yet injected. */
  Fault plan(CaseContext ctx) throws Exception;
}
