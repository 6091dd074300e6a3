package io.basalt.chunk.owner;

import io.basalt.chunk.core.LocalChunk;
import io.basalt.chunk.core.MetaExtents;
import io.basalt.chunk.core.Peer;
import io.basalt.chunk.recovery.MemberSync;
import io.basalt.chunk.store.ExtentEpoch;
import io.basalt.chunk.store.ReplicaMeta;
import io.basalt.chunk.store.ReplicaStore;
import io.basalt.common.MonotonicClock;
import io.basalt.common.NamedThreads;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.HeldLease;
import io.basalt.proto.ReplicaState;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.NotOwnerException;
import io.basalt.rpc.StaleEpochException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The extents this chunk currently owns (holds the lease of), by pid. Becoming owner asks meta for the lease
 * (AcquireLease), adopts the granted epoch and membership, and continues from the highest generation among the
 * members once {@link MemberSync} has brought every member there.
 *
 * <p>Thread: each entry is created, used and removed only on its pid's ordered thread (the map is concurrent only
 * because different pids live on different threads); {@link #closeAll} runs after those threads have stopped.
 * The blocking meta call in {@link #ensureOwner} is deliberate: it is rare and keeps the pid's order.
 */
public final class OwnerTable {
  private static final Logger log = LoggerFactory.getLogger(OwnerTable.class);

  private final Map<Long, OwnedExtent> owned = new ConcurrentHashMap<>();
  private final ReplicaStore store;
  private final MetaExtents meta;
  private final LocalChunk local;
  private final ReplicaPipes pipes;
  private final OwnerLease lease;
  private final MemberSync memberSync;
  private final ReplicaFailedReporter reporter;
  private final Map<Long, CompletableFuture<Void>> takeovers = new ConcurrentHashMap<>();
  /**
   * Leases granted by meta but not installed yet (member sync running). They are reported in keepalives like held
   * ones, so a new meta leader re-adopts them during its grace instead of granting the extent to another chunk while
   * this one is about to start writing (DESIGN.md "Meta leadership and failover").
   */
  private final Map<Long, Installing> installing = new ConcurrentHashMap<>();

  /** A granted lease on its way to install; {@code revoked} when meta named another owner meanwhile. */
  private static final class Installing {
    final long epoch;
    final long sessionEpoch;
    volatile boolean revoked;

    Installing(long epoch, long sessionEpoch) {
      this.epoch = epoch;
      this.sessionEpoch = sessionEpoch;
    }
  }
  private final ExecutorService takeoverPool = Executors.newFixedThreadPool(4,
      new NamedThreads("chunk-takeover"));

  public OwnerTable(ReplicaStore store, MetaExtents meta, LocalChunk local, ReplicaPipes pipes,
      MemberSync memberSync, OwnerLease lease, MonotonicClock clock) {
    this.lease = lease;
    this.store = store;
    this.meta = meta;
    this.local = local;
    this.pipes = pipes;
    this.memberSync = memberSync;
    this.reporter = new ReplicaFailedReporter(meta, pipes, pipes.metrics(), pipes.replicateTimeout(),
        this::replicaFailedAnswered, clock);
  }

  /** The owner state of {@code pid} when this chunk owns it under a valid lease, else null. Pid thread. */
  OwnedExtent ownedIfValid(long pid) {
    OwnedExtent x = owned.get(pid);
    if (x == null) return null;
    if (lease.valid(x.sessionEpoch)) return x;
    stepDown(pid, x.epoch, OwnerLease.expired(new ExtentEpoch(pid, x.epoch), x.sessionEpoch));
    return null;
  }

  /**
   * Becomes owner of {@code pid}: acquires the lease and syncs the members (see {@link #takeOver}) on a takeover
   * thread, never on the pid's ordered thread. The sync waits for peers, and a peer's handler needs <em>its</em> pid
   * thread: two chunks taking over pids that share a thread index on each other would deadlock if either waited on
   * its own pid thread. Concurrent callers share one attempt. Pid thread; completes on a takeover thread.
   */
  CompletableFuture<Void> takeover(long pid) {
    CompletableFuture<Void> running = takeovers.get(pid);
    if (running != null) return running;
    CompletableFuture<Void> f = new CompletableFuture<>();
    takeovers.put(pid, f);
    try {
      takeoverPool.execute(() -> {
        try {
          takeOver(pid);
          f.complete(null);
        } catch (Throwable t) {
          f.completeExceptionally(t);
        } finally {
          takeovers.remove(pid, f);
        }
      });
    } catch (RuntimeException e) {
      takeovers.remove(pid, f);
      f.completeExceptionally(new BasaltException(ErrorCode.UNAVAILABLE, "chunk shutting down", true, e));
    }
    return f;
  }

  /**
   * Runs {@code action} with the owner state of {@code pid}: at once when this chunk owns it under a valid lease, else
   * after a {@link #takeover} (off the pid thread), back on the pid thread. Fails NOT_OWNER (retryable) when the lease
   * is lost again right after the takeover: a second takeover in a row is the client's retry to ask for. The checks
   * before any owner operation (write, read, recovery copy). Pid thread; {@code action} runs on it.
   */
  <T> CompletableFuture<T> asOwner(long pid, Function<OwnedExtent, CompletableFuture<T>> action) {
    OwnedExtent x = ownedIfValid(pid);
    if (x != null) {
      return action.apply(x);
    }
    return takeover(pid).thenCompose(v -> onPid(pid, () -> {
      OwnedExtent now = ownedIfValid(pid);
      if (now == null) {
        return CompletableFuture.failedFuture(new BasaltException(ErrorCode.NOT_OWNER, "lost the lease of pid="
            + pid + " right after taking it over", true));
      }
      return action.apply(now);
    }));
  }

  /** Runs {@code task} on {@code pid}'s ordered thread and composes its future. Any thread. */
  <T> CompletableFuture<T> onPid(long pid, Supplier<CompletableFuture<T>> task) {
    return pipes.submit(pid, task::get).thenCompose(f -> f);
  }

  /** Takeover thread: lease, fence, member sync, install. Store changes of the pid run on its ordered thread. */
  private void takeOver(long pid) {
    int me = local.cid();
    Optional<String> storeFailure = store.failure();
    if (storeFailure.isPresent()) {
      throw new NotOwnerException(0, "", "replica store of cid=" + me + " failed (" + storeFailure.get()
          + "): not taking the lease of pid=" + pid);
    }
    Optional<String> full = store.full();
    if (full.isPresent()) {
      // Disk full (TESTPLAN F16): an owner must take writes (and may have to catch its own replica up first), so
      // another member takes the lease. What this chunk owns already it keeps serving reads of until a write fails.
      throw new NotOwnerException(0, "", "disk full on cid=" + me + " (" + full.get() + "): not taking the lease of pid="
          + pid);
    }
    if (store.replica(pid).filter(m -> m.state() == ReplicaState.QUARANTINED).isPresent()) {
      // Never own a replica whose state is in doubt: the client retries at another member, meta removes us.
      throw new NotOwnerException(0, "", "replica of pid=" + pid + " is quarantined on cid=" + me
          + ": not taking its lease");
    }
    OwnerLease.Session session = lease.current();
    ExtentInfo info = meta.acquireLease(pid, me, session.uuid(), session.epoch());
    if (info.getOwnerCid() != me) {
      throw new NotOwnerException(info.getOwnerCid(), MetaExtents.addressOf(info, info.getOwnerCid()),
          "pid=" + pid + " is owned by cid=" + info.getOwnerCid() + " epoch=" + info.getEpoch() + ", not cid=" + me);
    }
    long epoch = info.getEpoch();
    Installing inst = new Installing(epoch, session.epoch());
    installing.put(pid, inst);
    try {
      install(pid, me, session, info, inst);
    } finally {
      installing.remove(pid, inst);
    }
  }

  /** The rest of {@link #takeOver} once meta granted the lease at {@code info}'s epoch. Takeover thread. */
  private void install(long pid, int me, OwnerLease.Session session, ExtentInfo info, Installing inst) {
    long epoch = info.getEpoch();
    ExtentEpoch at = new ExtentEpoch(pid, epoch);
    long localGen = pipes.call(pid, () -> {
      ReplicaMeta m = store.replica(pid).orElse(null);
      if (m != null && m.epoch() > epoch) {
        throw new StaleEpochException(m.epoch(), "lease granted at epoch=" + epoch + " below local replica epoch="
            + m.epoch() + " pid=" + pid + " cid=" + me);
      }
      if (m == null || m.epoch() < epoch) {
        // Fence the old owner out of our own replica before taking writes at the new epoch.
        store.putReplicaMeta(m == null ? new ReplicaMeta(pid, epoch, 0, ReplicaState.ACTIVE) : m.withEpoch(epoch));
      }
      return m == null ? 0L : m.gen();
    });
    List<Peer> peers = peersOf(info, me);
    // Member catch-up: every member is brought to the highest gen among them before the first write at this epoch.
    long gen = memberSync.syncMembers(at, me, localGen, peers);
    // Test hook: hold a granted lease before it is installed (a meta failover, another owner meanwhile).
    pipes.failpoints().inject("chunk.owner.before-install");
    pipes.call(pid, () -> {
      if (!lease.valid(session.epoch())) {
        throw OwnerLease.expired(at, session.epoch()); // the sync outlasted the session's local lease
      }
      if (inst.revoked) {
        throw new NotOwnerException(0, "", "meta revoked the lease of pid=" + pid + " epoch=" + epoch
            + " before it was installed cid=" + me);
      }
      ReplicaMeta fenced = store.replica(pid).orElse(null);
      if (fenced == null || fenced.epoch() != epoch) {
        // Another owner synced our replica to a newer epoch while we were syncing: installing now would write at a
        // fenced epoch, and our replica would hold gens that the other owner's history does not (I2).
        throw new StaleEpochException(fenced == null ? 0 : fenced.epoch(), "lease granted at epoch=" + epoch
            + " but the local replica is at epoch=" + (fenced == null ? "none" : fenced.epoch()) + " pid=" + pid
            + " cid=" + me + ": not installing");
      }
      OwnedExtent old = owned.get(pid);
      if (old != null) stepDown(pid, old.epoch, new NotOwnerException(me, "", "re-acquired pid=" + pid));
      List<ReplicaPipe> list = new ArrayList<>(peers.size());
      for (Peer p : peers) list.add(newPipe(pid, epoch, p));
      // A recovery target named at the grant is on the write path from the first write on (empty pipe: its first
      // write, gen + 1, sets its base).
      Peer target = recoveringPeer(info, me);
      ReplicaPipe rec = target == null ? null : newPipe(pid, epoch, target);
      OwnedExtent x = new OwnedExtent(me, pid, epoch, session.epoch(), info.getExtentSize(), gen, list, rec,
          info.getRecoveryEpoch());
      owned.put(pid, x);
      log.info("became owner pid={} epoch={} gen={} cid={} session={} replicas={} recoveringCid={}"
          + " recoveryEpoch={}", pid, epoch, gen, me, session.uuid(), info.getReplicasList(),
          info.getRecoveringCid(), info.getRecoveryEpoch());
      return null;
    });
  }

  ReplicaPipes pipes() {
    return pipes;
  }

  OwnedExtent get(long pid) {
    return owned.get(pid);
  }

  /** The session guard of this table's leases. */
  OwnerLease lease() {
    return lease;
  }

  /** The leases held under session {@code sessionEpoch}, installed or being installed, for the keepalive. */
  public List<HeldLease> heldLeases(long sessionEpoch) {
    List<HeldLease> out = new ArrayList<>();
    for (OwnedExtent x : owned.values()) {
      if (x.sessionEpoch == sessionEpoch) {
        out.add(HeldLease.newBuilder().setPid(x.pid).setEpoch(x.epoch).build());
      }
    }
    installing.forEach((pid, inst) -> {
      if (inst.sessionEpoch == sessionEpoch && !inst.revoked && !owned.containsKey(pid)) {
        out.add(HeldLease.newBuilder().setPid(pid).setEpoch(inst.epoch).build());
      }
    });
    return out;
  }

  /** Steps down from every owned extent, each on its pid's thread: the session's local lease ran out. */
  public void stepDownAll(String reason) {
    for (long pid : List.copyOf(owned.keySet())) stepDownLater(pid, reason);
  }

  /** {@link #stepDown(long, String)} on the pid's thread, and a takeover of it not installed yet fails. Any thread. */
  public void stepDownLater(long pid, String reason) {
    Installing inst = installing.get(pid);
    if (inst != null) inst.revoked = true;
    pipes.hop(pid, () -> stepDown(pid, reason));
  }

  /** Meta says the lease's epoch moved (membership changed): re-read the extent on the pid's thread. Any thread. */
  public void refreshLater(long pid) {
    pipes.hop(pid, () -> refresh(pid));
  }

  /** Asks meta for the extent and adopts the answer on the pid's thread; the thread never waits for meta. */
  private void refresh(long pid) {
    refreshAsync(pid);
  }

  /**
   * Re-reads {@code pid} from meta when this chunk owns it and adopts the answer; completes on the pid's thread once
   * adopted (for a FetchBlocks that names a recovery this owner has not adopted yet). A failed call is logged and
   * completes normally: the next keepalive asks again. Pid thread.
   */
  CompletableFuture<Void> refreshAsync(long pid) {
    OwnedExtent asked = owned.get(pid);
    if (asked == null) return CompletableFuture.completedFuture(null);
    CompletableFuture<Void> done = new CompletableFuture<>();
    meta.getAsync(pid).whenComplete((info, err) -> pipes.hop(pid, () -> {
      try {
        OwnedExtent x = owned.get(pid);
        if (x == null) return;
        if (err != null) {
          log.warn("refreshing owned extent failed pid={} epoch={} error={}", pid, x.epoch,
              BasaltException.of(err).getMessage());
          return;
        }
        adopt(x, info, "refresh");
      } finally {
        done.complete(null);
      }
    }));
    return done;
  }

  /**
   * Applies meta's view of an owned extent (pid thread): not the owner (or under another session) any more -> step
   * down; a newer epoch -> adopt the membership in place (see {@link OwnedExtent#adopt}), or step down when a full
   * member appeared that this owner never synced.
   */
  private void adopt(OwnedExtent x, ExtentInfo info, String via) {
    long pid = x.pid;
    if (info.getOwnerCid() != local.cid() || info.getOwnerSession() != x.sessionEpoch) {
      stepDown(pid, x.epoch, new NotOwnerException(info.getOwnerCid(), MetaExtents.addressOf(info,
          info.getOwnerCid()), "meta names cid=" + info.getOwnerCid() + " owner of pid=" + pid));
      return;
    }
    if (info.getEpoch() <= x.epoch) return;
    long old = x.epoch;
    long newEpoch = info.getEpoch();
    Peer target = recoveringPeer(info, local.cid());
    if (x.adopt(newEpoch, info.getReplicasList(), target, info.getRecoveryEpoch(), p -> newPipe(pid, newEpoch, p))) {
      // Our own replica must not accept the old epoch any more either.
      store.replica(pid).ifPresent(m -> store.putReplicaMeta(m.withEpoch(Math.max(m.epoch(), newEpoch))));
      log.info("owner adopted new membership pid={} epoch={} previousEpoch={} cid={} replicas={} recoveringCid={}"
          + " recoveryEpoch={} via={}", pid, newEpoch, old, local.cid(), info.getReplicasList(),
          info.getRecoveringCid(), info.getRecoveryEpoch(), via);
    } else {
      stepDown(pid, x.epoch, new NotOwnerException(0, "", "membership grew pid=" + pid + " epoch=" + newEpoch
          + ": re-acquire to sync the new member"));
    }
  }

  /** Meta answered a ReplicaFailed report of {@code pipe}. Pid thread. */
  private void replicaFailedAnswered(long pid, ReplicaPipe pipe, ExtentInfo info, BasaltException error) {
    OwnedExtent x = owned.get(pid);
    if (x == null) return;
    if (error == null) {
      log.info("replica failed answered pid={} epoch={} cid={} failedCid={} newEpoch={} replicas={} recoveringCid={}",
          pid, x.epoch, local.cid(), pipe.peer().cid(), info.getEpoch(), info.getReplicasList(),
          info.getRecoveringCid());
      adopt(x, info, "replica failed");
    } else if (error instanceof StaleEpochException || error instanceof NotOwnerException) {
      log.info("replica failed report answered {} pid={} epoch={} failedCid={}: refreshing", error.code(), pid,
          x.epoch, pipe.peer().cid());
      refresh(pid);
    } else {
      log.warn("replica failed report refused pid={} epoch={} cid={} failedCid={} code={} error={}: still retrying",
          pid, x.epoch, local.cid(), pipe.peer().cid(), error.code(), error.getMessage());
    }
  }

  private ReplicaPipe newPipe(long pid, long epoch, Peer p) {
    return new ReplicaPipe(pipes, pid, epoch, p, events);
  }

  /** Pipe failures, on the pid thread: only the pipes of the current owner state count. */
  private final ReplicaPipe.Events events = new ReplicaPipe.Events() {
    @Override
    public void deposed(ReplicaPipe pipe, BasaltException cause) {
      OwnedExtent x = owned.get(pipe.pid());
      if (x != null && x.holds(pipe)) stepDown(x.pid, x.epoch, cause);
    }

    @Override
    public void roundFailed(ReplicaPipe pipe, BasaltException cause) {
      OwnedExtent x = owned.get(pipe.pid());
      if (x != null && x.holds(pipe)) reporter.maybeReport(x, pipe, cause);
    }
  };

  private static Peer recoveringPeer(ExtentInfo info, int me) {
    int cid = info.getRecoveringCid();
    if (cid == 0 || cid == me || info.getReplicasList().contains(cid)) return null;
    if (info.getRecoveringAddress().isEmpty()) {
      throw new BasaltException(ErrorCode.INTERNAL, "meta extent names recovering cid=" + cid
          + " without an address pid=" + info.getPid());
    }
    return new Peer(cid, info.getRecoveringAddress());
  }

  /**
   * The other replicas of {@code pid} when this chunk owns it, the recovering member included (it is on the write
   * path, so a FLUSH syncs it too). Call on the pid's ordered thread.
   */
  public Optional<List<Peer>> peersIfOwner(long pid) {
    OwnedExtent x = owned.get(pid);
    return x == null ? Optional.empty() : Optional.of(x.writePeers());
  }

  /** The owned epoch of {@code pid}, 0 when not owner. */
  public long ownedEpoch(long pid) {
    OwnedExtent x = owned.get(pid);
    return x == null ? 0 : x.epoch;
  }

  /** Steps down if this chunk owns {@code pid} below {@code epoch} (a newer owner exists). Pid thread. */
  public void stepDownBelow(ExtentEpoch newer, String reason) {
    long pid = newer.pid();
    OwnedExtent x = owned.get(pid);
    if (x != null && x.epoch < newer.epoch()) {
      stepDown(pid, x.epoch, new StaleEpochException(newer.epoch(), reason + " pid=" + pid));
    }
  }

  /** Stops owning {@code pid} (whatever the epoch): pending writes fail NOT_OWNER. Pid thread. */
  public void stepDown(long pid, String reason) {
    OwnedExtent x = owned.get(pid);
    if (x != null) stepDown(pid, x.epoch, new NotOwnerException(0, "", reason + " pid=" + pid));
  }

  /** Fails every pending write; for shutdown, after the ordered executor has stopped. */
  public void closeAll() {
    takeoverPool.shutdownNow();
    BasaltException cause = new BasaltException(ErrorCode.UNAVAILABLE, "chunk server shutting down", true);
    for (OwnedExtent x : owned.values()) x.close(cause, pipes.backlog());
    owned.clear();
  }

  public int ownedCount() {
    return owned.size();
  }

  private void stepDown(long pid, long epoch, BasaltException cause) {
    OwnedExtent x = owned.get(pid);
    if (x == null || x.epoch != epoch) return; // already gone, or a newer incarnation
    owned.remove(pid);
    log.info("stepped down as owner pid={} epoch={} gen={} cid={} unacked={} reason={}", pid, epoch, x.lastGen,
        local.cidOrZero(), x.unacked(), cause.getMessage());
    x.close(cause, pipes.backlog());
  }

  private static List<Peer> peersOf(ExtentInfo info, int me) {
    if (info.getReplicaAddressesCount() != info.getReplicasCount()) {
      throw new BasaltException(ErrorCode.INTERNAL, "meta extent has " + info.getReplicasCount() + " replicas but "
          + info.getReplicaAddressesCount() + " addresses pid=" + info.getPid());
    }
    boolean member = false;
    List<Peer> peers = new ArrayList<>();
    for (int i = 0; i < info.getReplicasCount(); i++) {
      int cid = info.getReplicas(i);
      if (cid == me) member = true;
      else peers.add(new Peer(cid, info.getReplicaAddresses(i)));
    }
    if (!member) {
      throw new BasaltException(ErrorCode.INTERNAL, "granted a lease without being a member pid=" + info.getPid()
          + " cid=" + me);
    }
    return peers;
  }
}
