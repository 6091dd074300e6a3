package io.basalt.chunk.recovery;

import io.basalt.chunk.store.ReplicaMeta;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * What the member side of a takeover catch-up ({@link MemberSyncService}) needs from replica apply: the pid's call
 * order and the epoch checks every owner call passes, so SyncStatus, FetchChanges and ApplyChanges are ordered with
 * the pid's replicates and fence an older owner exactly as a Replicate does. Implemented by
 * {@code replica.ReplicaApplier}; recovery sees only this port, so it never imports the replica component (which
 * imports recovery for {@link RecoveringReplicas}).
 *
 * <p>Thread: the pid's ordered thread.
 */
public interface ReplicaAdmission {
  /** Runs {@code task} (an owner call of {@code pid}) in the pid's order of owner calls. */
  <T> CompletableFuture<T> inOrder(long pid, Supplier<CompletableFuture<T>> task);

  /** The replica's meta once an owner call from {@code ownerCid} at {@code epoch} is admitted; else failed. */
  CompletableFuture<ReplicaMeta> admit(long pid, long epoch, int ownerCid, String op);
}
