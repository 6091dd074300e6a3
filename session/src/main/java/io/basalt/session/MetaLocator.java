package io.basalt.session;

import java.util.Optional;

/** Finds the active meta leader's RPC address, and holds the meta epoch fence of the calls made through it. */
public interface MetaLocator extends AutoCloseable {
  /**
   * The leader's address as last known, or empty when no leader is active (a retryable condition). May block (a
   * ZooKeeper read): call it off event loops.
   */
  Optional<String> leaderAddress();

  /** The cached address, without blocking: empty when {@link #leaderAddress} would have to look it up. */
  default Optional<String> cachedAddress() {
    return leaderAddress();
  }

  /** Forget a cached address (after a NOT_LEADER or a connection failure). {@code hint} may name the new one. */
  void invalidate(String hint);

  /**
   * Calls {@code listener} (quickly, on the locator's thread) whenever a new leader address is published; closing
   * the returned handle stops it. Locators that learn nothing by themselves never call it.
   */
  default AutoCloseable onLeaderPublished(Runnable listener) {
    return () -> {};
  }

  /** The highest meta epoch seen through this locator, shared by all its MetaClients. */
  MetaEpochFence epochs();

  @Override
  default void close() {}

  /** A fixed address (tests, or a single meta server given on the command line). */
  static MetaLocator fixed(String address) {
    MetaEpochFence epochs = new MetaEpochFence();
    return new MetaLocator() {
      @Override
      public Optional<String> leaderAddress() {
        return Optional.of(address);
      }

      @Override
      public void invalidate(String hint) {}

      @Override
      public MetaEpochFence epochs() {
        return epochs;
      }
    };
  }
}
