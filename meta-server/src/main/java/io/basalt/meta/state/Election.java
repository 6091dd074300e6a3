package io.basalt.meta.state;

/**
 * What {@link MetaState} asks of the election it is driven by (the elector, built before the state): where the
 * leader is, to confirm this leader still leads, and to run the election again after a failed commit. A narrow
 * interface instead of callbacks set on the state after construction: the elector is built first, the state gets
 * it here, and the elector gets the state it drives when it starts.
 */
public interface Election {
  /** Where the leader is, possibly stale, "" when unknown; never blocks. Any thread. */
  String leaderHint();

  /**
   * Confirm with ZooKeeper that this server still leads, off the loop; answer with
   * {@link MetaState#verified(long, boolean, String)} quoting {@code round}. Called on the MetaLoop.
   */
  void verify(long round);

  /** A failed commit stepped this leader down: rejoin the election with a fresh latch. Called on the MetaLoop. */
  void rejoin();
}
