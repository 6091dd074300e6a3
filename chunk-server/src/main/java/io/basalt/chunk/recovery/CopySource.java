package io.basalt.chunk.recovery;

import io.basalt.proto.FetchBlocksRequest;
import java.util.concurrent.CompletableFuture;

/**
 * What {@link RecoveryService} needs from the lease owner before it serves a copy batch (FetchBlocks): the owner's
 * checks (it owns the extent, its lease is valid, the asker is its recovering peer at that recovery epoch) and the
 * plan they allow. Implemented by the owner component ({@code owner.OwnerCopySource}), which reads the owner's own
 * state; recovery only sees this port, so recovery never imports the owner.
 *
 * <p>Thread: the pid's ordered thread.
 */
public interface CopySource {
  /** What a copy batch may serve: the owner's epoch and cid when checked, and the extent size. */
  record Plan(long pid, long epoch, int ownerCid, long extentSize) {}

  /** The plan for {@code req}, or a failed future (NOT_OWNER, NOT_READY: the target re-reads the extent, retries). */
  CompletableFuture<Plan> prepare(FetchBlocksRequest req);
}
