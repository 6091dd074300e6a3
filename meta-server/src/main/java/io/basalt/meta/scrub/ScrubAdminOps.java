package io.basalt.meta.scrub;

import io.basalt.meta.state.MetaState;
import io.basalt.meta.state.MetaTables;
import io.basalt.meta.state.PExtent;
import io.basalt.meta.state.Plan;
import io.basalt.meta.state.TermLocal;
import io.basalt.meta.state.Volume;
import io.basalt.meta.store.MutationBatch;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ListScrubRequest;
import io.basalt.proto.ListScrubResponse;
import io.basalt.proto.ScrubInfo;
import io.basalt.proto.ScrubRecord;
import io.basalt.proto.ScrubThrottle;
import io.basalt.proto.ScrubThrottleResponse;
import io.basalt.proto.SetScrubThrottleRequest;
import io.basalt.proto.StartScrubRequest;
import io.basalt.proto.StartScrubResponse;
import io.basalt.rpc.BasaltException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's view of scrub ({@code basalt scrub ls}: every allocated extent with its last scrub and what it is
 * doing now), {@code scrub start} (marks a volume's extents, or every extent, due now) and the run-time throttle
 * ({@code basalt scrub throttle}, persisted at config/scrub so it survives leader changes).
 */
public final class ScrubAdminOps {
  private static final Logger log = LoggerFactory.getLogger(ScrubAdminOps.class);
  private final MetaState state;
  private final TermLocal<ScrubTable> table;
  private final ScrubConfig config;
  private final LongSupplier wallMs;

  public ScrubAdminOps(MetaState state, TermLocal<ScrubTable> table, ScrubConfig config, LongSupplier wallMs) {
    this.state = state;
    this.table = table;
    this.config = config;
    this.wallMs = wallMs;
  }

  /** Extents of {@code req.volume} (every volume when empty), by volume name then index. */
  public CompletableFuture<ListScrubResponse> list(ListScrubRequest req) {
    return state.read(t -> {
      ScrubTable st = table.get();
      long nowMs = wallMs.getAsLong();
      ListScrubResponse.Builder out = ListScrubResponse.newBuilder()
          .setThrottle(ScrubThrottles.effective(t.scrubThrottle()));
      int suspect = 0;
      for (Volume v : volumes(t, req.getVolume())) {
        for (Map.Entry<Integer, Long> e : t.extents().mapOf(v.vid()).entrySet()) {
          PExtent pe = t.extents().get(e.getValue());
          if (pe == null) {
            continue;
          }
          ScrubInfo info = info(t, st, v, pe, nowMs);
          suspect += info.getSuspect() ? 1 : 0;
          out.addExtents(info);
        }
      }
      return out.setSuspect(suspect).build();
    });
  }

  private ScrubInfo info(MetaTables t, ScrubTable st, Volume v, PExtent pe, long nowMs) {
    ScrubRecord rec = t.scrubRecords().get(pe.pid());
    ScrubInfo.Builder b = ScrubInfo.newBuilder().setVolume(v.name()).setVid(v.vid()).setIndex(pe.index())
        .setPid(pe.pid());
    if (rec != null) {
      b.setLastScrubbedMs(rec.getLastScrubbedMs()).setLastDeepScrubbedMs(rec.getLastDeepScrubbedMs())
          .setLastResult(rec.getResult()).setSuspect(rec.getSuspect()).setDetail(rec.getDetail());
    }
    Boolean running = st.runningDeep(pe.pid());
    if (running != null) {
      return b.setResult("running").setDeep(running).build();
    }
    ScrubTable.Retry retry = st.retry(pe.pid());
    ScrubDue due = ScrubDue.of(rec, st.forced(pe.pid()), retry, st.termStartMs(), nowMs, config);
    if (rec == null || due.dueAt(nowMs) || retry != null) {
      if (retry != null && rec == null) {
        b.setDetail(retry.why());
      }
      return b.setResult("pending").setDeep(due.deep()).build();
    }
    return b.setResult(rec.getResult()).setDeep(rec.getLastDeepScrubbedMs() != 0
        && rec.getLastDeepScrubbedMs() == rec.getLastScrubbedMs()).build();
  }

  /** Marks the extents of a volume ({@code all}: of every volume) due now; answers how many. */
  public CompletableFuture<StartScrubResponse> start(StartScrubRequest req) {
    if (req.getAll() == !req.getVolume().isEmpty()) {
      return CompletableFuture.failedFuture(new BasaltException(ErrorCode.INVALID_ARGUMENT,
          "start scrub: name a volume or ask for all, not " + (req.getAll() ? "both" : "neither")));
    }
    return state.read(t -> {
      ScrubTable st = table.get();
      int n = 0;
      for (Volume v : volumes(t, req.getVolume())) {
        for (long pid : t.extents().mapOf(v.vid()).values()) {
          if (t.extents().get(pid) != null) {
            st.force(pid, req.getDeep());
            n++;
          }
        }
      }
      log.info("scrub started by operator volume={} deep={} extents={}", req.getAll() ? "(all)" : req.getVolume(),
          req.getDeep(), n);
      return StartScrubResponse.newBuilder().setExtents(n).build();
    });
  }

  public CompletableFuture<ScrubThrottleResponse> getThrottle() {
    return state.read(t -> ScrubThrottleResponse.newBuilder()
        .setThrottle(ScrubThrottles.effective(t.scrubThrottle())).build());
  }

  /** Changes the throttle (a zero field keeps its value), persisted; both zero just answers the current one. */
  public CompletableFuture<ScrubThrottleResponse> setThrottle(SetScrubThrottleRequest req) {
    return state.mutate("setScrubThrottle", t -> {
      ScrubThrottle before = ScrubThrottles.effective(t.scrubThrottle());
      ScrubThrottle next = ScrubThrottles.merge(before, req.getBytesPerSec(), req.getPerChunk());
      if (next.equals(before)) {
        return Plan.done(() -> ScrubThrottleResponse.newBuilder().setThrottle(before).build());
      }
      return Plan.of(new MutationBatch().putScrubThrottle(next), () -> {
        t.setScrubThrottle(next);
        log.info("scrub throttle set bytesPerSec={} perChunk={} (was bytesPerSec={} perChunk={})",
            next.getBytesPerSec(), next.getPerChunk(), before.getBytesPerSec(), before.getPerChunk());
        return ScrubThrottleResponse.newBuilder().setThrottle(next).build();
      });
    });
  }

  private static List<Volume> volumes(MetaTables t, String name) {
    if (!name.isEmpty()) {
      Volume v = t.volumes().byName(name);
      if (v == null) {
        throw new BasaltException(ErrorCode.NO_SUCH_VOLUME, "no volume named '" + name + "'");
      }
      return List.of(v);
    }
    List<Volume> all = new ArrayList<>(t.volumes().all());
    all.sort(Comparator.comparing(Volume::name));
    return all;
  }
}
