package io.basalt.tester;

/** A broken invariant found after a case (or a case the cluster would not let finish): the run stops on it. */
final class Violation extends Exception {
  Violation(String message, Throwable cause) {
    super(message, cause);
  }
}
