package io.basalt.chunk.recovery;

import io.basalt.chunk.core.ChunkMetrics;
import io.basalt.chunk.core.Peer;
import io.basalt.chunk.store.ByteRange;
import io.basalt.chunk.store.ChangePage;
import io.basalt.chunk.store.ExtentEpoch;
import io.basalt.chunk.store.ReplicaStore;
import io.basalt.proto.ApplyChangesRequest;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.FetchChangesRequest;
import io.basalt.proto.FetchChangesResponse;
import io.basalt.proto.SyncStatusRequest;
import io.basalt.proto.SyncStatusResponse;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.Frame;
import io.basalt.rpc.NotOwnerException;
import io.basalt.rpc.RpcClientFactory;
import io.basalt.rpc.StaleEpochException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lease takeover catch-up (TESTPLAN F02/F21, DESIGN.md "Recovery"): before a new owner accepts any write at its
 * epoch, every member is brought to the highest gen among the members, rolling forward only and incrementally from
 * the gen logs. Safe because a gen above the lowest member's was never acknowledged (an ack needs every member):
 * it is an in-doubt write, and every member converges on the highest member's history, which the old owner really
 * produced. Without this, the next owner would continue from its own gen and two members could hold different
 * contents at one gen.
 *
 * <p>Steps: SyncStatus to every peer in parallel (which also fences the old owner: the peers adopt the new epoch);
 * maxGen over this replica and the peers; the source is a complete member at maxGen, this replica when it is one;
 * otherwise FetchChanges from the source (paged) applied locally; then ApplyChanges (paged) to every member behind
 * maxGen or holding blocks of an unfinished catch-up. Any member that does not answer, or a log that no longer
 * reaches back far enough, fails the takeover with a retryable UNAVAILABLE (the client retries; a full copy is
 * recovery's job); STALE_EPOCH and NOT_OWNER pass through (this owner was deposed meanwhile).
 *
 * <p>Thread: the pid's ordered thread, which it blocks (like the lease call): rare, bounded by deadlines, and it keeps
 * the pid's order so no write or replicate of the pid interleaves. Stateless otherwise; thread-safe.
 */
public final class MemberSync {
  private static final Logger log = LoggerFactory.getLogger(MemberSync.class);
  public static final int DEFAULT_PAGE_BYTES = 8 << 20;
  /** Added to an RPC deadline when waiting, so the RPC's own deadline fires first and names the call. */
  private static final long WAIT_SLACK_MS = 1000;

  private final ReplicaStore store;
  private final RpcClientFactory rpc;
  private final ChunkMetrics metrics;
  private final Duration statusTimeout;
  private final Duration pageTimeout;
  private final int pageBytes;

  /** One member's answer to SyncStatus. */
  private record Member(Peer peer, long gen, List<ByteRange> partial) {
    boolean complete() {
      return partial.isEmpty();
    }
  }

  /** The ids of one takeover, for messages. */
  private record Ctx(ExtentEpoch at, int cid) {
    long pid() {
      return at.pid();
    }

    long epoch() {
      return at.epoch();
    }

    String ids() {
      return at + " cid=" + cid;
    }
  }

  /** Runs a store change on a pid's ordered thread and waits for it (the takeover thread is not that thread). */
  public interface PidThread {
    <T> T call(long pid, Callable<T> task);
  }

  private final PidThread pidThread;

  public MemberSync(ReplicaStore store, RpcClientFactory rpc, ChunkMetrics metrics, Duration statusTimeout,
      Duration pageTimeout, int pageBytes, PidThread pidThread) {
    if (pageBytes < ReplicaStore.BLOCK_SIZE) throw new IllegalArgumentException("pageBytes below one block");
    this.pidThread = pidThread;
    this.store = store;
    this.rpc = rpc;
    this.metrics = metrics;
    this.statusTimeout = statusTimeout;
    this.pageTimeout = pageTimeout;
    this.pageBytes = pageBytes;
  }

  /**
   * Brings this replica ({@code localGen}, already fenced to {@code epoch}) and every peer to the highest gen among
   * them; returns that gen, the one the owner continues from. A takeover thread: it waits for peers, whose
   * handlers need their own pid threads, so it must never hold one; local store changes hop to the pid's thread.
   */
  public long syncMembers(ExtentEpoch at, int ownerCid, long localGen, List<Peer> peers) {
    Ctx c = new Ctx(at, ownerCid);
    long start = System.nanoTime();
    try {
      long gen = sync(c, localGen, peers);
      metrics.memberSync().update(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      return gen;
    } catch (RuntimeException e) {
      metrics.memberSyncFailures().inc();
      log.warn("member sync failed {} localGen={} error={}", c.ids(), localGen, e.getMessage());
      throw e;
    }
  }

  private long sync(Ctx c, long localGen, List<Peer> peers) {
    List<Member> members = status(c, peers);
    List<ByteRange> localPartial = store.partialRanges(c.pid());
    long maxGen = localGen;
    Map<Integer, Long> peerGens = new LinkedHashMap<>();
    List<Integer> partialCids = new ArrayList<>();
    for (Member m : members) {
      maxGen = Math.max(maxGen, m.gen);
      peerGens.put(m.peer.cid(), m.gen);
      if (!m.complete()) partialCids.add(m.peer.cid());
    }
    if (!localPartial.isEmpty()) partialCids.add(c.cid);
    long pulled = 0;
    if (localGen < maxGen || !localPartial.isEmpty()) {
      Member source = source(c, members, maxGen, localGen, peerGens, partialCids);
      pulled = pull(c, source, localGen, maxGen, localPartial);
    }
    long pushed = 0;
    for (Member m : members) {
      if (m.gen < maxGen || !m.complete()) pushed += push(c, m, maxGen);
    }
    metrics.memberSyncPulledBytes().inc(pulled);
    metrics.memberSyncPushedBytes().inc(pushed);
    log.info("member sync pid={} epoch={} cid={} localGen={} peerGens={} maxGen={} bytesPulled={} bytesPushed={}"
        + " partialCids={}", c.pid(), c.epoch(), c.cid, localGen, peerGens, maxGen, pulled, pushed, partialCids);
    return maxGen;
  }

  /** SyncStatus of every peer, asked in parallel. */
  private List<Member> status(Ctx c, List<Peer> peers) {
    List<CompletableFuture<Envelope>> calls = new ArrayList<>(peers.size());
    SyncStatusRequest req = SyncStatusRequest.newBuilder().setPid(c.pid()).setEpoch(c.epoch()).setOwnerCid(c.cid)
        .build();
    for (Peer p : peers) {
      CompletableFuture<Envelope> f;
      try {
        f = rpc.client(p.address()).call(Envelope.newBuilder().setSyncStatus(req), statusTimeout);
      } catch (RuntimeException e) {
        f = CompletableFuture.failedFuture(e);
      }
      calls.add(f);
    }
    List<Member> out = new ArrayList<>(peers.size());
    for (int i = 0; i < peers.size(); i++) {
      Peer p = peers.get(i);
      SyncStatusResponse s = await(calls.get(i), statusTimeout, c, p, "sync status").getSyncStatusResponse();
      List<ByteRange> partial = ByteRange.merge(ByteRange.fromProto("sync status partial ranges", c.pid(),
          s.getPartialRangesList(), ByteRange.MAX_UNPAGED));
      out.add(new Member(p, s.getGen(), partial));
    }
    return out;
  }

  private Member source(Ctx c, List<Member> members, long maxGen, long localGen, Map<Integer, Long> peerGens,
      List<Integer> partialCids) {
    for (Member m : members) {
      if (m.gen == maxGen && m.complete()) return m;
    }
    throw new BasaltException(ErrorCode.UNAVAILABLE, "member sync: no complete member at maxGen=" + maxGen + " "
        + c.ids() + " localGen=" + localGen + " peerGens=" + peerGens + " partialCids=" + partialCids
        + " (needs a full copy)", true);
  }

  /** FetchChanges since localGen from the source, page by page, each applied locally; returns bytes pulled. */
  private long pull(Ctx c, Member source, long localGen, long maxGen, List<ByteRange> localPartial) {
    FetchChangesRequest.Builder req = FetchChangesRequest.newBuilder().setPid(c.pid()).setEpoch(c.epoch())
        .setOwnerCid(c.cid).setSinceGen(localGen).setMaxBytes(pageBytes);
    for (ByteRange r : ByteRange.coarsen(localPartial, ByteRange.MAX_UNPAGED)) req.addInclude(r.toProto());
    long bytes = 0;
    long start = 0;
    while (true) {
      req.setStartOffset(start);
      Frame f = await(callWithData(source.peer, Envelope.newBuilder().setFetchChanges(req), null), pageTimeout, c,
          source.peer, "fetch changes");
      try {
        FetchChangesResponse r = f.header().getFetchChangesResponse();
        if (r.getLogTruncated()) {
          throw unavailable(c, source.peer, "fetch changes", "log of the member ahead no longer reaches gen="
              + (localGen + 1) + " (member gen=" + r.getGen() + "); needs a full copy");
        }
        boolean last = r.getNextOffset() == 0;
        if (r.getGen() != maxGen || (!last && r.getNextOffset() <= start)) {
          throw unavailable(c, source.peer, "fetch changes", "member moved or paged backwards: gen=" + r.getGen()
              + " expected=" + maxGen + " nextOffset=" + r.getNextOffset() + " startOffset=" + start);
        }
        List<ByteRange> ranges = ByteRange.fromProto("fetch changes response", c.pid(), r.getRangesList(),
            Integer.MAX_VALUE);
        bytes += f.data().readableBytes();
        boolean lastPage = last;
        long base = localGen;
        pidThread.call(c.pid(), () -> {
          store.applyChanges(c.at, base, maxGen, ranges, f.data(), lastPage);
          return null;
        });
        if (last) return bytes;
        start = r.getNextOffset();
      } finally {
        f.release();
      }
    }
  }

  /** ApplyChanges of everything since the member's gen (and its partial blocks), page by page; returns bytes. */
  private long push(Ctx c, Member m, long maxGen) {
    Optional<List<ByteRange>> changed = store.changedSince(c.pid(), m.gen);
    if (changed.isEmpty()) {
      throw unavailable(c, m.peer, "apply changes", "this owner's log no longer reaches the member's gen="
          + (m.gen + 1) + " (owner gen=" + maxGen + "); needs a full copy");
    }
    List<ByteRange> all = new ArrayList<>(changed.get());
    all.addAll(m.partial);
    List<ByteRange> ranges = ByteRange.merge(all);
    long bytes = 0;
    long start = 0;
    while (true) {
      ChangePage page = ChangePage.of(ranges, start, pageBytes);
      ApplyChangesRequest.Builder req = ApplyChangesRequest.newBuilder().setPid(c.pid()).setEpoch(c.epoch())
          .setOwnerCid(c.cid).setBaseGen(m.gen).setToGen(maxGen).setLast(page.last());
      page.ranges().forEach(r -> req.addRanges(r.toProto()));
      Frame f = await(callWithData(m.peer, Envelope.newBuilder().setApplyChanges(req), read(c.pid(), page.ranges())),
          pageTimeout, c, m.peer, "apply changes");
      long gen = f.header().getSyncStatusResponse().getGen();
      f.release();
      bytes += page.bytes();
      if (page.last()) {
        if (gen != maxGen) {
          throw unavailable(c, m.peer, "apply changes", "member answered gen=" + gen + " expected=" + maxGen);
        }
        return bytes;
      }
      start = page.nextOffset();
    }
  }

  private CompletableFuture<Frame> callWithData(Peer p, Envelope.Builder req, ByteBuf data) {
    try {
      return rpc.client(p.address()).call(req, data, pageTimeout);
    } catch (RuntimeException e) {
      if (data != null) data.release();
      return CompletableFuture.failedFuture(e);
    }
  }

  /** This replica's bytes of {@code ranges}, back to back, in pooled buffers (ownership to the caller). */
  private ByteBuf read(long pid, List<ByteRange> ranges) {
    CompositeByteBuf out = PooledByteBufAllocator.DEFAULT.compositeDirectBuffer(Math.max(2, ranges.size()));
    try {
      for (ByteRange r : ranges) {
        out.addComponent(true, store.read(pid, r.offset(), (int) r.length(), PooledByteBufAllocator.DEFAULT));
      }
      return out;
    } catch (RuntimeException e) {
      out.release();
      throw e;
    }
  }

  /** Waits for a peer call; deposition passes through, anything else is UNAVAILABLE naming pid, cids and step. */
  private static <T> T await(CompletableFuture<T> f, Duration deadline, Ctx c, Peer p, String step) {
    try {
      return f.get(deadline.toMillis() + WAIT_SLACK_MS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      f.cancel(false);
      throw unavailable(c, p, step, "interrupted");
    } catch (TimeoutException e) {
      f.cancel(false); // a reply that still arrives is released by the RPC client
      throw unavailable(c, p, step, "no answer within " + deadline.toMillis() + " ms");
    } catch (ExecutionException e) {
      BasaltException b = BasaltException.of(e);
      if (b instanceof StaleEpochException || b instanceof NotOwnerException) throw b;
      throw new BasaltException(ErrorCode.UNAVAILABLE, "member sync " + step + " failed " + c.ids() + " peerCid="
          + p.cid() + " address=" + p.address() + ": " + b.getMessage(), true, b);
    }
  }

  private static BasaltException unavailable(Ctx c, Peer p, String step, String why) {
    return new BasaltException(ErrorCode.UNAVAILABLE, "member sync " + step + " " + c.ids() + " peerCid=" + p.cid()
        + ": " + why, true);
  }
}
