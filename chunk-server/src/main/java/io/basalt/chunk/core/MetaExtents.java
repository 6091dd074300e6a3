package io.basalt.chunk.core;

import io.basalt.proto.AcquireLeaseRequest;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.GetExtentRequest;
import io.basalt.proto.RecoveryDoneRequest;
import io.basalt.proto.ReplicaFailedRequest;
import io.basalt.proto.ReplicaQuarantinedRequest;
import io.basalt.rpc.BasaltException;
import io.basalt.session.MetaClient;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The chunk's extent questions to meta: GetExtent, AcquireLease, and the recovery reports ReplicaFailed (owner)
 * and RecoveryDone (target), both answered with the extent. The blocking forms are for the per-pid ordered
 * threads (rare calls that must keep that pid's order: lease acquisition, epoch confirmation) and are bounded by
 * {@code blockingLimit}; never call them on a Netty event loop. Thread-safe.
 */
public final class MetaExtents {
  private final MetaClient meta;
  private final MetaClient reports;
  private final Duration blockingLimit;

  public MetaExtents(MetaClient meta, Duration blockingLimit) {
    this(meta, meta, blockingLimit);
  }

  /**
   * @param reports the client for ReplicaFailed and RecoveryDone: a short retry budget, because their callers
   *     retry on their own schedule and must see STALE_EPOCH/NOT_OWNER at once rather than after a budget of retries
   */
  public MetaExtents(MetaClient meta, MetaClient reports, Duration blockingLimit) {
    this.meta = meta;
    this.reports = reports;
    this.blockingLimit = blockingLimit;
  }

  /** ReplicaFailed (owner -> meta): completes with the extent meta answers (the peer removed, or not). */
  public CompletableFuture<ExtentInfo> replicaFailed(ReplicaFailedRequest req) {
    return reports.call(Envelope.newBuilder().setReplicaFailed(req)).thenApply(e -> extentOf(e, req.getPid()));
  }

  /** ReplicaQuarantined (this chunk -> meta): completes with the extent meta answers (this chunk removed, or not). */
  public CompletableFuture<ExtentInfo> replicaQuarantined(ReplicaQuarantinedRequest req) {
    return reports.call(Envelope.newBuilder().setReplicaQuarantined(req)).thenApply(e -> extentOf(e, req.getPid()));
  }

  /** RecoveryDone (target -> meta): completes with the extent after the promotion. */
  public CompletableFuture<ExtentInfo> recoveryDone(RecoveryDoneRequest req) {
    return reports.call(Envelope.newBuilder().setRecoveryDone(req)).thenApply(e -> extentOf(e, req.getPid()));
  }

  public CompletableFuture<ExtentInfo> getAsync(long pid) {
    return meta.call(Envelope.newBuilder().setGetExtent(GetExtentRequest.newBuilder().setPid(pid)))
        .thenApply(e -> extentOf(e, pid));
  }

  /** GetExtent, waiting; for ordered threads only. */
  public ExtentInfo get(long pid) {
    return await(getAsync(pid), "get extent pid=" + pid);
  }

  /**
   * AcquireLease for {@code cid} under its session, waiting; the answer names the owner (which may be another
   * chunk).
   */
  public ExtentInfo acquireLease(long pid, int cid, String sessionUuid, long sessionEpoch) {
    CompletableFuture<ExtentInfo> f = meta.call(Envelope.newBuilder()
            .setAcquireLease(AcquireLeaseRequest.newBuilder().setPid(pid).setCid(cid).setSessionUuid(sessionUuid)
                .setSessionEpoch(sessionEpoch)))
        .thenApply(e -> extentOf(e, pid));
    return await(f, "acquire lease pid=" + pid + " cid=" + cid);
  }

  /** The address of {@code cid} among the extent's replicas (or its recovering member), or "" when neither. */
  public static String addressOf(ExtentInfo info, int cid) {
    if (cid != 0 && info.getRecoveringCid() == cid) return info.getRecoveringAddress();
    for (int i = 0; i < info.getReplicasCount(); i++) {
      if (info.getReplicas(i) == cid && i < info.getReplicaAddressesCount()) {
        return info.getReplicaAddresses(i);
      }
    }
    return "";
  }

  private static ExtentInfo extentOf(Envelope e, long pid) {
    if (!e.hasExtentResponse() || !e.getExtentResponse().hasExtent()) {
      throw new BasaltException(ErrorCode.INTERNAL, "meta answered without extent pid=" + pid + " body="
          + e.getBodyCase());
    }
    return e.getExtentResponse().getExtent();
  }

  private <T> T await(CompletableFuture<T> f, String what) {
    try {
      return f.get(blockingLimit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BasaltException(ErrorCode.UNAVAILABLE, "interrupted: " + what, true, e);
    } catch (TimeoutException e) {
      f.cancel(false);
      throw new BasaltException(ErrorCode.TIMEOUT, "meta did not answer in " + blockingLimit.toMillis() + " ms: "
          + what, true, e);
    } catch (ExecutionException e) {
      throw BasaltException.of(e);
    }
  }
}
