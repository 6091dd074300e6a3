package io.basalt.meta.scrub;

import io.basalt.common.NamedThreads;
import io.basalt.meta.state.Chunk;
import io.basalt.meta.state.Liveness;
import io.basalt.meta.state.MetaState;
import io.basalt.meta.state.MetaTables;
import io.basalt.meta.state.PExtent;
import io.basalt.meta.state.Plan;
import io.basalt.meta.state.TermLocal;
import io.basalt.meta.state.Volume;
import io.basalt.meta.store.MutationBatch;
import io.basalt.meta.store.ZkPaths;
import io.basalt.proto.QuarantineReplicaRequest;
import io.basalt.proto.ScrubExtentRequest;
import io.basalt.proto.ScrubPage;
import io.basalt.proto.ScrubRecord;
import io.basalt.proto.ScrubThrottle;
import io.basalt.rpc.BasaltException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's scrub pass (DESIGN.md "Consistency check"), every {@code tick}: picks the extents due
 * ({@link ScrubDue}: asked for by an operator, then retries, then the most overdue), each only when its owner holds a
 * live session (no owner: skipped, tried again later; a scrub never acquires a lease) and every member takes part in
 * fewer than {@code per_chunk} scrubs and is not paced; asks the owner for every member's digest at one gen
 * (ScrubExtent, with a deadline), judges the answer ({@link ScrubVerdict}), sends QuarantineReplica to every member
 * to quarantine (the chunk then reports ReplicaQuarantined and recovery replaces the replica), logs a mismatch, a
 * CRC failure or a SUSPECT extent at ERROR with pid, gen, cids and hashes, and persists the extent's
 * {@link ScrubRecord} (one page write). A scrub that could not compare is retried after {@code retryAfter}.
 *
 * <p>Throttle: a chunk whose members read B bytes in a deep scrub is not picked again for B / {@code bytes_per_sec}
 * (light scrubs read no block). Runs on every meta server; only an ACTIVE leader's reads succeed, so followers
 * scrub nothing. A tick of zero runs no timer (tests call {@link #passNow}).
 */
public final class ScrubScheduler implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ScrubScheduler.class);

  /** One scrub picked by a pass, with what the call and the verdict need from the tables then. */
  record Job(ScrubTable table, long pid, long vid, int index, long epoch, int ownerCid, String owner,
      List<Integer> cids, Map<Integer, String> addresses, boolean deep, long extentSize, long bytesPerSec) {}

  /** How one scrub ended (tests). */
  public record Outcome(long pid, long gen, boolean deep, ScrubVerdict verdict) {}

  private final MetaState state;
  private final Liveness live;
  private final TermLocal<ScrubTable> table;
  private final ScrubMetrics metrics;
  private final ScrubRpc rpc;
  private final ScrubConfig config;
  private final LongSupplier wallMs;
  private final ScheduledExecutorService timer;

  public ScrubScheduler(MetaState state, Liveness live, TermLocal<ScrubTable> table, ScrubMetrics metrics,
      ScrubRpc rpc, ScrubConfig config, LongSupplier wallMs) {
    this.state = state;
    this.live = live;
    this.table = table;
    this.metrics = metrics;
    this.rpc = rpc;
    this.config = config;
    this.wallMs = wallMs;
    this.timer = Executors.newSingleThreadScheduledExecutor(new NamedThreads("meta-scrub"));
  }

  public ScrubScheduler start() {
    long every = config.tick().toNanos();
    if (every > 0) {
      timer.scheduleWithFixedDelay(() -> {
        try {
          startPass().exceptionally(e -> {
            metrics.publish(0, 0); // not the active leader: this server scrubs nothing
            return List.of();
          });
        } catch (RuntimeException e) {
          log.warn("scrub pass failed to start: {}", e.toString());
        }
      }, every, every, TimeUnit.NANOSECONDS);
    }
    return this;
  }

  /**
   * One pass now; completes when every scrub it started has ended (judged, quarantines sent, record persisted),
   * with their outcomes (fails when not the active leader).
   */
  public CompletableFuture<List<Outcome>> passNow() {
    return startPass().thenCompose(started -> CompletableFuture.allOf(started.toArray(CompletableFuture[]::new))
        .thenApply(v -> started.stream().map(CompletableFuture::join).toList()));
  }

  /** Picks on the loop, then sends the owner calls from this component's thread; one future per scrub started. */
  private CompletableFuture<List<CompletableFuture<Outcome>>> startPass() {
    return state.read(this::pick).thenApplyAsync(jobs -> jobs.stream().map(this::run).toList(), timer);
  }

  private List<Job> pick(MetaTables t) {
    ScrubTable st = table.get();
    long nowMs = wallMs.getAsLong();
    long nowNanos = state.nowNanos();
    if (st.suspectCount() < 0) {
      st.setSuspectCount(t.scrubRecords().values().stream()
          .filter(r -> r.getSuspect() && t.extents().get(r.getPid()) != null).count());
    }
    metrics.publish(st.suspectCount(), st.runningCount());
    ScrubThrottle throttle = ScrubThrottles.effective(t.scrubThrottle());
    record Candidate(PExtent pe, ScrubDue due) {}
    List<Candidate> due = new ArrayList<>();
    for (PExtent pe : t.extents().all()) {
      if (st.running(pe.pid())) {
        continue;
      }
      ScrubDue d = ScrubDue.of(t.scrubRecords().get(pe.pid()), st.forced(pe.pid()), st.retry(pe.pid()),
          st.termStartMs(), nowMs, config);
      if (d.dueAt(nowMs)) {
        due.add(new Candidate(pe, d));
      }
    }
    due.sort(Comparator.comparingInt((Candidate c) -> c.due().rank()).thenComparingLong(c -> c.due().atMs())
        .thenComparingLong(c -> c.pe().pid()));
    List<Job> jobs = new ArrayList<>();
    for (Candidate c : due) {
      PExtent pe = c.pe();
      if (pe.replicas().isEmpty() || !live.ownerAlive(pe)) {
        continue; // no owner: tried again next pass (a scrub never acquires a lease)
      }
      Chunk owner = t.chunks().get(pe.ownerCid());
      if (owner == null || owner.address().isEmpty()) {
        continue;
      }
      boolean free = true;
      Map<Integer, String> addresses = new HashMap<>();
      for (int cid : pe.replicas()) {
        Chunk ch = t.chunks().get(cid);
        addresses.put(cid, ch == null ? "" : ch.address());
        if (st.busy(cid) >= throttle.getPerChunk() || st.paced(cid, nowNanos)) {
          free = false;
        }
      }
      if (!free) {
        continue;
      }
      Volume v = t.volumes().get(pe.vid());
      st.started(pe.pid(), c.due().deep(), pe.replicas());
      jobs.add(new Job(st, pe.pid(), pe.vid(), pe.index(), pe.epoch(), pe.ownerCid(), owner.address(),
          pe.replicas(), Map.copyOf(addresses), c.due().deep(), v == null ? 0 : v.extentSize(),
          throttle.getBytesPerSec()));
    }
    metrics.publish(st.suspectCount(), st.runningCount());
    return jobs;
  }

  /** The deadline of one ScrubExtent: the call timeout, plus the extent read at the throttle's rate when deep. */
  Duration deadline(Job j) {
    Duration d = config.callTimeout();
    if (j.deep() && j.bytesPerSec() > 0) {
      d = d.plusMillis(j.extentSize() * 1000 / j.bytesPerSec());
    }
    return d.compareTo(ScrubConfig.MAX_CALL_TIMEOUT) > 0 ? ScrubConfig.MAX_CALL_TIMEOUT : d;
  }

  private CompletableFuture<Outcome> run(Job j) {
    log.debug("scrub started pid={} vid={} index={} epoch={} owner={} deep={}", j.pid(), j.vid(), j.index(),
        j.epoch(), j.ownerCid(), j.deep());
    ScrubExtentRequest req = ScrubExtentRequest.newBuilder().setPid(j.pid()).setEpoch(j.epoch()).setDeep(j.deep())
        .setRangeBytes(config.rangeBytes()).build();
    return rpc.scrubExtent(j.owner(), req, deadline(j)).handle((r, err) -> {
      if (err != null) {
        return new Outcome(j.pid(), 0, j.deep(), ScrubVerdict.pending("ScrubExtent to owner cid=" + j.ownerCid()
            + " (" + j.owner() + "): " + BasaltException.of(err).getMessage()));
      }
      ScrubVerdict v = ScrubVerdict.judge(j.pid(), r, config.rangeBytes());
      v.bytesRead().values().forEach(metrics.bytesRead::inc);
      report(j, r.getGen(), v);
      return new Outcome(j.pid(), r.getGen(), j.deep(), v);
    }).thenCompose(o -> quarantine(j, o).thenCompose(x -> persist(j, o)));
  }

  /** The log line of a finished comparison: ERROR for anything but ok and pending. */
  private void report(Job j, long gen, ScrubVerdict v) {
    switch (v.kind()) {
      case OK -> log.debug("scrub ok pid={} gen={} deep={} cids={}", j.pid(), gen, j.deep(), j.cids());
      case PENDING -> log.info("scrub could not compare, will retry pid={} gen={} deep={}: {}", j.pid(), gen,
          j.deep(), v.detail());
      default -> {
        if (v.suspect()) {
          log.error("SCRUB: extent SUSPECT, replicas disagree and no majority: nothing removed, writes go on; an "
              + "operator must compare the replicas (basalt scrub ls) pid={} vid={} index={} epoch={} gen={} "
              + "cids={} result={}: {}", j.pid(), j.vid(), j.index(), j.epoch(), gen, j.cids(), v.kind().wire(),
              v.detail());
        } else {
          log.error("SCRUB: {} pid={} vid={} index={} epoch={} gen={} cids={} quarantining cids={}: {}",
              v.kind().wire(), j.pid(), j.vid(), j.index(), j.epoch(), gen, j.cids(),
              v.quarantines().stream().map(ScrubVerdict.Quarantine::cid).toList(), v.detail());
        }
      }
    }
  }

  /** QuarantineReplica to every member the verdict names; completes when all answered (or failed: logged). */
  private CompletableFuture<Void> quarantine(Job j, Outcome o) {
    List<CompletableFuture<?>> calls = new ArrayList<>();
    for (ScrubVerdict.Quarantine q : o.verdict().quarantines()) {
      String address = j.addresses().getOrDefault(q.cid(), "");
      if (address.isEmpty()) {
        metrics.quarantinesFailed.inc();
        log.error("SCRUB: cannot quarantine pid={} cid={}: no address known; reason: {}", j.pid(), q.cid(),
            q.reason());
        continue;
      }
      QuarantineReplicaRequest req = QuarantineReplicaRequest.newBuilder().setPid(j.pid()).setReason(q.reason())
          .addAllBlocks(q.blocks()).build();
      metrics.quarantinesSent.inc();
      calls.add(rpc.quarantine(address, req, config.callTimeout()).handle((r, err) -> {
        if (err != null) {
          metrics.quarantinesFailed.inc();
          log.error("SCRUB: QuarantineReplica failed pid={} cid={} address={} gen={}: {}", j.pid(), q.cid(),
              address, o.gen(), BasaltException.of(err).getMessage());
        } else {
          log.warn("scrub quarantine sent pid={} cid={} gen={} quarantined={} blocks={}", j.pid(), q.cid(),
              o.gen(), r.getQuarantined(), q.blocks().size());
        }
        return null;
      }));
    }
    return CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new));
  }

  private CompletableFuture<Outcome> persist(Job j, Outcome o) {
    return state.mutate("scrubDone", t -> plan(t, j, o)).handle((x, err) -> {
      if (err != null) {
        log.info("scrub result not recorded pid={} result={}: {}", j.pid(), o.verdict().kind().wire(),
            BasaltException.of(err).getMessage());
        try {
          state.loop().execute(() -> {
            if (table.get() == j.table()) {
              j.table().ended(j.pid(), j.cids(), o.verdict().bytesRead(), j.bytesPerSec(), state.nowNanos());
              j.table().retryLater(j.pid(), wallMs.getAsLong() + config.retryAfter().toMillis(), j.deep(),
                  "result not recorded");
            }
          });
        } catch (RejectedExecutionException e) {
          log.debug("meta loop closed; scrub of pid={} not cleaned up", j.pid());
        }
      }
      return o;
    });
  }

  private Plan<Void> plan(MetaTables t, Job j, Outcome o) {
    ScrubTable st = table.get();
    if (st != j.table()) {
      return Plan.done(() -> null); // another term: its own passes decide
    }
    ScrubVerdict v = o.verdict();
    PExtent pe = t.extents().get(j.pid());
    long nowMs = wallMs.getAsLong();
    if (v.kind() == ScrubVerdict.Kind.PENDING || pe == null) {
      return Plan.done(() -> {
        st.ended(j.pid(), j.cids(), v.bytesRead(), j.bytesPerSec(), state.nowNanos());
        if (pe == null) {
          st.forget(j.pid());
        } else {
          metrics.retries.inc();
          st.retryLater(j.pid(), nowMs + config.retryAfter().toMillis(), j.deep(), v.detail());
        }
        metrics.publish(st.suspectCount(), st.runningCount());
        return null;
      });
    }
    ScrubRecord prev = t.scrubRecords().get(j.pid());
    ScrubRecord rec = ScrubRecord.newBuilder().setPid(j.pid()).setLastScrubbedMs(nowMs)
        .setLastDeepScrubbedMs(j.deep() ? nowMs : prev == null ? 0 : prev.getLastDeepScrubbedMs())
        .setFirstScrubbedMs(prev == null || prev.getFirstScrubbedMs() == 0 ? nowMs : prev.getFirstScrubbedMs())
        .setResult(v.kind().wire()).setSuspect(v.suspect()).setGen(o.gen()).setDetail(v.detail()).build();
    long page = ZkPaths.pageOf(j.pid());
    ScrubPage.Builder records = ScrubPage.newBuilder();
    List<Long> pruned = new ArrayList<>();
    for (long pid = page * ZkPaths.PAGE; pid < (page + 1) * ZkPaths.PAGE; pid++) {
      if (pid == j.pid()) {
        records.addRecords(rec);
        continue;
      }
      ScrubRecord r = t.scrubRecords().get(pid);
      if (r != null) {
        if (t.extents().get(pid) != null) {
          records.addRecords(r);
        } else {
          pruned.add(pid); // its extent is gone (volume deleted)
        }
      }
    }
    return Plan.of(new MutationBatch().putScrubPage(page, records.build()), () -> {
      long suspect = st.suspectCount();
      if (suspect >= 0) {
        suspect += (rec.getSuspect() ? 1 : 0) - (prev != null && prev.getSuspect() ? 1 : 0);
        for (long pid : pruned) {
          ScrubRecord gone = t.scrubRecords().remove(pid);
          if (gone != null && gone.getSuspect()) {
            suspect--;
          }
        }
        st.setSuspectCount(Math.max(0, suspect));
      } else {
        pruned.forEach(t.scrubRecords()::remove);
      }
      t.scrubRecords().put(j.pid(), rec);
      st.ended(j.pid(), j.cids(), v.bytesRead(), j.bytesPerSec(), state.nowNanos());
      st.done(j.pid(), j.deep());
      if (!rec.getSuspect()) {
        st.notSuspect(j.pid());
      }
      (j.deep() ? metrics.scrubbedDeep : metrics.scrubbedLight).inc();
      if (v.kind() == ScrubVerdict.Kind.MISMATCH) {
        metrics.mismatches.inc();
      } else if (v.kind() == ScrubVerdict.Kind.CRC_ERROR) {
        metrics.crcErrors.inc();
      }
      metrics.publish(st.suspectCount(), st.runningCount());
      return null;
    });
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
