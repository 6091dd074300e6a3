package io.basalt.chunk.owner;

import io.basalt.chunk.recovery.CopySource;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.FetchBlocksRequest;
import io.basalt.rpc.BasaltException;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The owner's {@link CopySource}: its checks before serving a recovery copy batch (FetchBlocks, DESIGN.md
 * "Recovery"): like a read, a member that does not own the extent takes the lease first; then the asking target must
 * be this owner's recovering peer at the request's recovery epoch, which means every write from here on is forwarded
 * to it, so the blocks read after this check miss nothing the target will not also receive as a replicate. An owner
 * that has not adopted the recovery yet (its epoch is below the recovery's) refreshes from meta once, inline.
 * Otherwise NOT_READY (retryable): the target re-reads the extent and retries.
 *
 * <p>Thread: the pid's ordered thread (the takeover hops off it and back, as for reads).
 */
public final class OwnerCopySource implements CopySource {
  private static final Logger log = LoggerFactory.getLogger(OwnerCopySource.class);

  private final OwnerTable table;

  public OwnerCopySource(OwnerTable table) {
    this.table = table;
  }

  @Override
  public CompletableFuture<Plan> prepare(FetchBlocksRequest req) {
    return table.asOwner(req.getPid(), x -> checkFresh(x, req));
  }

  /** {@link #check} after re-reading the extent from meta (asynchronously) when the request is ahead of us. */
  private CompletableFuture<Plan> checkFresh(OwnedExtent x, FetchBlocksRequest req) {
    if (x.recoveringTarget(req.getTargetCid(), req.getRecoveryEpoch()) || x.epoch >= req.getRecoveryEpoch()) {
      return CompletableFuture.completedFuture(check(x, req));
    }
    return table.refreshAsync(x.pid).thenApply(v -> {
      OwnedExtent now = table.ownedIfValid(x.pid);
      if (now == null) {
        throw new BasaltException(ErrorCode.NOT_OWNER, "stepped down as owner of pid=" + x.pid
            + " while adopting recovery epoch=" + req.getRecoveryEpoch(), true);
      }
      return check(now, req);
    });
  }

  private Plan check(OwnedExtent x, FetchBlocksRequest req) {
    if (!x.recoveringTarget(req.getTargetCid(), req.getRecoveryEpoch())) {
      ReplicaPipe r = x.recovering;
      log.info("fetch blocks refused: not this owner's recovering peer pid={} epoch={} cid={} targetCid={}"
          + " recoveryEpoch={} ownerRecoveringCid={} ownerRecoveryEpoch={}", x.pid, x.epoch, x.self,
          req.getTargetCid(), req.getRecoveryEpoch(), r == null ? 0 : r.peer().cid(), x.recoveryEpoch);
      throw new BasaltException(ErrorCode.NOT_READY, "cid=" + req.getTargetCid() + " is not the recovering peer of"
          + " pid=" + x.pid + " at recovery epoch=" + req.getRecoveryEpoch() + " (owner epoch=" + x.epoch + ")", true);
    }
    if (x.extentSize <= 0) {
      throw new BasaltException(ErrorCode.INTERNAL, "owner of pid=" + x.pid + " does not know the extent size");
    }
    return new Plan(x.pid, x.epoch, x.self, x.extentSize);
  }
}
