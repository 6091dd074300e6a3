package io.basalt.chunk.owner;

import io.basalt.chunk.core.Peer;
import io.basalt.chunk.integrity.ScrubDigests;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ReplicaScrub;
import io.basalt.proto.ScrubDigestRequest;
import io.basalt.proto.ScrubExtentRequest;
import io.basalt.proto.ScrubExtentResponse;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.Frame;
import io.basalt.rpc.NotOwnerException;
import io.basalt.rpc.Reply;
import io.basalt.rpc.RpcClientFactory;
import io.basalt.rpc.RpcServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The owner's side of a scrub (ScrubExtent from meta, DESIGN.md "Consistency check"): on the pid's thread it fixes
 * the generation (its own gen: every write up to it is applied here, none after), digests its replica there and
 * asks each member for its digest at exactly that gen; writes go on meanwhile (a member behind stops at the gen,
 * see {@link ScrubDigests}). A recovery target is not asked: its copy is incomplete by definition. Never takes a
 * lease: a chunk that does not own the extent answers NOT_OWNER and meta scrubs it later.
 *
 * <p>Thread: the handler hops to the pid thread; member answers complete on the peer clients' loops.
 */
public final class OwnerScrub {
  private static final Logger log = LoggerFactory.getLogger(OwnerScrub.class);

  private final OwnerTable table;
  private final ScrubDigests scrubs;
  private final RpcClientFactory peers;
  private final Duration memberDeadline;

  public OwnerScrub(OwnerTable table, ScrubDigests scrubs, RpcClientFactory peers, Duration memberDeadline) {
    this.table = table;
    this.scrubs = scrubs;
    this.peers = peers;
    this.memberDeadline = memberDeadline;
  }

  public RpcServer.Builder register(RpcServer.Builder b) {
    return b.handle(Envelope.BodyCase.SCRUB_EXTENT, this::scrubExtent);
  }

  private CompletableFuture<Reply> scrubExtent(Frame f) {
    ScrubExtentRequest r = f.header().getScrubExtent();
    long pid = r.getPid();
    if (pid <= 0) {
      return CompletableFuture.failedFuture(new BasaltException(ErrorCode.INVALID_ARGUMENT, "scrub: pid must be > 0"));
    }
    int rangeBlocks;
    try {
      rangeBlocks = ScrubDigests.rangeBlocks(r.getRangeBytes());
    } catch (BasaltException e) {
      return CompletableFuture.failedFuture(e);
    }
    return table.onPid(pid, () -> {
      OwnedExtent x = table.ownedIfValid(pid);
      if (x == null) {
        return CompletableFuture.failedFuture(new NotOwnerException(0, "", "scrub pid=" + pid
            + ": this chunk does not own it"));
      }
      if (r.getEpoch() != 0 && r.getEpoch() > x.epoch) {
        return CompletableFuture.failedFuture(new BasaltException(ErrorCode.STALE_EPOCH, "scrub pid=" + pid
            + " at epoch=" + r.getEpoch() + " above the owner's epoch=" + x.epoch, true));
      }
      long gen = x.lastGen;
      List<CompletableFuture<ReplicaScrub>> answers = new ArrayList<>();
      answers.add(scrubs.digestNow(pid, r.getDeep(), rangeBlocks));
      for (ReplicaPipe pipe : x.pipes) {
        answers.add(member(pipe.peer(), ScrubDigestRequest.newBuilder().setPid(pid).setEpoch(x.epoch)
            .setOwnerCid(x.self).setGen(gen).setDeep(r.getDeep()).setRangeBytes(rangeBlocks * 4096L).build()));
      }
      long epoch = x.epoch;
      int self = x.self;
      return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).thenApply(v -> {
        ScrubExtentResponse.Builder out = ScrubExtentResponse.newBuilder().setPid(pid).setGen(gen).setEpoch(epoch)
            .setOwnerCid(self);
        for (CompletableFuture<ReplicaScrub> a : answers) out.addReplicas(a.join());
        ScrubExtentResponse resp = out.build();
        log.info("scrub digests pid={} epoch={} gen={} deep={} replicas={}", pid, epoch, gen, r.getDeep(),
            summary(resp));
        return Reply.of(Envelope.newBuilder().setScrubExtentResponse(resp));
      });
    });
  }

  /** A member's digest, or its failure as an entry naming it (the owner's answer is never failed by one member). */
  private CompletableFuture<ReplicaScrub> member(Peer peer, ScrubDigestRequest req) {
    CompletableFuture<ReplicaScrub> call;
    try {
      call = peers.client(peer.address()).call(Envelope.newBuilder().setScrubDigest(req), memberDeadline)
          .thenApply(Envelope::getReplicaScrub);
    } catch (RuntimeException e) {
      call = CompletableFuture.failedFuture(e);
    }
    return call.handle((rs, e) -> e == null ? rs.toBuilder().setCid(peer.cid()).build()
        : ReplicaScrub.newBuilder().setCid(peer.cid()).setError(BasaltException.of(e).getMessage()).build());
  }

  private static String summary(ScrubExtentResponse r) {
    StringBuilder b = new StringBuilder("[");
    for (ReplicaScrub s : r.getReplicasList()) {
      if (b.length() > 1) b.append(", ");
      b.append("cid=").append(s.getCid());
      if (!s.getError().isEmpty()) {
        b.append(" error=").append(s.getError());
      } else if (s.getGenPassed()) {
        b.append(" genPassed=").append(s.getGen());
      } else {
        b.append(" gen=").append(s.getGen()).append(" hash=")
            .append(s.getHash(), 0, Math.min(12, s.getHash().length())).append(" blocks=").append(s.getBlockCount())
            .append(" crcErrors=").append(s.getCrcErrorsCount());
      }
    }
    return b.append(']').toString();
  }
}
