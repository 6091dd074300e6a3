package io.basalt.meta.store;

import java.util.concurrent.CompletableFuture;

/**
 * Durable metadata of one cluster (DESIGN.md "Durable metadata in ZooKeeper"). Only the elected leader writes,
 * and every write is fenced by the token it won in {@link #claimLeadership()}.
 *
 * <p>Threads: the blocking methods run on the elector thread, never on a Netty event loop or the MetaLoop;
 * {@link #commit} is asynchronous and is called by the MetaLoop, one batch at a time.
 */
public interface MetaStore extends AutoCloseable {
  /** Creates the persistent parent znodes if missing (idempotent, unfenced: they carry no data). Blocking. */
  void ensureLayout();

  /**
   * Bumps {@code meta/epoch} with a versioned write (creating it at 1 when absent), remembers the resulting
   * version as the fencing token for every later write, and creates {@code cluster-id} once. Blocking.
   */
  FencingToken claimLeadership();

  /** Reads every record; requires a claimed token. Blocking. */
  MetaImage load();

  /**
   * Writes the batch as one multi that starts with {@code check(meta/epoch, token version)}. Fails with
   * {@link FencedException} when the check fails (another leader was elected) and with another
   * {@link io.basalt.rpc.BasaltException} when ZooKeeper refused or the outcome is unknown. Completes on a
   * ZooKeeper/Curator thread: callers hop to their own executor. Commits must not overlap.
   */
  CompletableFuture<Void> commit(MutationBatch batch);

  /** Replaces {@code meta/active} with an ephemeral znode holding {@code address}, fenced. Blocking. */
  void publishActive(String address);

  /** Forgets the token (later commits fail fenced) and deletes {@code meta/active} if it names us. Blocking. */
  void releaseLeadership(String address);

  /** The token of the current claim, or null. */
  FencingToken token();

  @Override
  void close();
}
