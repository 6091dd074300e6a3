package io.basalt.session;

import java.util.Optional;

/** Finds the active meta leader's RPC address. */
public interface MetaLocator extends AutoCloseable {
  /** The leader's address as last known, or empty when no leader is active (a retryable condition). */
  Optional<String> leaderAddress();

  /** Forget a cached address (after a NOT_LEADER or a connection failure). {@code hint} may name the new one. */
  void invalidate(String hint);

  @Override
  default void close() {}

  /** A fixed address (tests, or a single meta server given on the command line). */
  static MetaLocator fixed(String address) {
    return new MetaLocator() {
      @Override
      public Optional<String> leaderAddress() {
        return Optional.of(address);
      }

      @Override
      public void invalidate(String hint) {}
    };
  }
}
