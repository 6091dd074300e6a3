package io.basalt.chunk.integrity;

import io.basalt.chunk.core.LocalChunk;
import io.basalt.chunk.store.ReplicaStore;
import io.basalt.chunk.store.ScrubDigest;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ReplicaScrub;
import io.basalt.rpc.BasaltException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * This chunk's side of a scrub (DESIGN.md "Consistency check"): a replica's digest at an exact generation. The light
 * digest is taken on the pid's thread at the moment the replica is at that gen: at once when it is there, else when
 * the replicated write of that gen is applied ({@link #reached}; the applier splits a batch at a waited-for gen,
 * {@link #waitedGen}). A replica already past the gen answers {@code gen_passed}. The deep part (every block's data
 * against its CRC) needs no common gen and runs on the io pool afterwards.
 *
 * <p>Threads: {@link #digestAt}, {@link #reached} and {@link #waitedGen} on the pid's ordered thread; waiters may time
 * out on any thread (a timed-out waiter is simply skipped later).
 */
public final class ScrubDigests {
  /** Most bad blocks a deep scrub lists. */
  static final int MAX_BAD = 1024;
  static final long DEFAULT_RANGE_BYTES = 1 << 20;

  private record Waiter(long gen, boolean deep, int rangeBlocks, CompletableFuture<ReplicaScrub> done) {}

  private final ReplicaStore store;
  private final LocalChunk local;
  private final Executor io;
  private final Map<Long, List<Waiter>> waiting = new ConcurrentHashMap<>();

  public ScrubDigests(ReplicaStore store, LocalChunk local, Executor io) {
    this.store = store;
    this.local = local;
    this.io = io;
  }

  /** The range size of a scrub request in blocks (0 = 1 MiB); INVALID_ARGUMENT when not whole blocks. */
  public static int rangeBlocks(long rangeBytes) {
    long bytes = rangeBytes == 0 ? DEFAULT_RANGE_BYTES : rangeBytes;
    if (bytes % ReplicaStore.BLOCK_SIZE != 0 || bytes < ReplicaStore.BLOCK_SIZE || bytes > (1L << 30)) {
      throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "scrub range_bytes must be whole 4 KiB blocks, at most"
          + " 1 GiB: " + rangeBytes);
    }
    return (int) (bytes / ReplicaStore.BLOCK_SIZE);
  }

  /**
   * pid's digest at exactly {@code gen}: now when the replica is there, later when it gets there (within
   * {@code timeoutMs}), {@code gen_passed} when it is past it. Pid thread.
   */
  public CompletableFuture<ReplicaScrub> digestAt(long pid, long gen, boolean deep, int rangeBlocks, long timeoutMs) {
    long localGen = store.replica(pid).map(m -> m.gen()).orElse(0L);
    if (localGen == gen) return digestNow(pid, deep, rangeBlocks);
    if (localGen > gen) {
      return CompletableFuture.completedFuture(ReplicaScrub.newBuilder().setCid(local.cid()).setGen(localGen)
          .setGenPassed(true).build());
    }
    CompletableFuture<ReplicaScrub> done = new CompletableFuture<>();
    waiting.computeIfAbsent(pid, p -> new ArrayList<>()).add(new Waiter(gen, deep, rangeBlocks, done));
    return done.orTimeout(timeoutMs, TimeUnit.MILLISECONDS);
  }

  /** The light digest now (and the deep check after it, on the io pool). Pid thread. */
  public CompletableFuture<ReplicaScrub> digestNow(long pid, boolean deep, int rangeBlocks) {
    ScrubDigest d = store.scrubDigest(pid, rangeBlocks);
    ReplicaScrub.Builder b = ReplicaScrub.newBuilder().setCid(local.cid()).setGen(d.gen()).setEpoch(d.epoch())
        .setHash(d.hash()).setBlockCount(d.blockCount()).addAllRangeHashes(d.rangeHashes());
    if (!deep) return CompletableFuture.completedFuture(b.build());
    return CompletableFuture.supplyAsync(() -> {
      long[] read = new long[1];
      List<Long> bad = store.badBlocks(pid, MAX_BAD, read);
      return b.addAllCrcErrors(bad).setBytesRead(read[0]).build();
    }, io);
  }

  /** The lowest gen a scrub waits for on pid (0: none): the applier must stop exactly there. Pid thread. */
  public long waitedGen(long pid) {
    List<Waiter> ws = waiting.get(pid);
    if (ws == null) return 0;
    long min = 0;
    for (Waiter w : ws) {
      if (!w.done.isDone() && (min == 0 || w.gen < min)) min = w.gen;
    }
    return min;
  }

  /** pid's replica is at {@code gen} now: its waiters get their digest, those below it gen_passed. Pid thread. */
  public void reached(long pid, long gen) {
    List<Waiter> ws = waiting.get(pid);
    if (ws == null) return;
    List<Waiter> left = new ArrayList<>();
    for (Waiter w : ws) {
      if (w.done.isDone()) continue;
      if (w.gen == gen) {
        try {
          digestNow(pid, w.deep, w.rangeBlocks).whenComplete((r, e) -> {
            if (e != null) w.done.completeExceptionally(BasaltException.of(e));
            else w.done.complete(r);
          });
        } catch (RuntimeException e) {
          w.done.completeExceptionally(e);
        }
      } else if (w.gen < gen) {
        w.done.complete(ReplicaScrub.newBuilder().setCid(local.cid()).setGen(gen).setGenPassed(true).build());
      } else {
        left.add(w);
      }
    }
    if (left.isEmpty()) waiting.remove(pid);
    else waiting.put(pid, left);
  }
}
