package io.basalt.meta.recovery;

import io.basalt.meta.state.Chunk;
import io.basalt.meta.state.Liveness;
import io.basalt.meta.state.MetaState;
import io.basalt.meta.state.MetaTables;
import io.basalt.meta.state.PExtent;
import io.basalt.meta.state.Plan;
import io.basalt.meta.state.TermLocal;
import io.basalt.meta.state.Volume;
import io.basalt.meta.store.MutationBatch;
import io.basalt.proto.ListRecoveriesResponse;
import io.basalt.proto.RecoveryInfo;
import io.basalt.proto.RecoveryProgress;
import io.basalt.proto.RecoveryThrottle;
import io.basalt.proto.SetRecoveryThrottleRequest;
import io.basalt.proto.SetRecoveryThrottleResponse;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's view of recovery ({@code basalt recovery ls}: running recoveries with their progress, then the
 * queued ones, most urgent first) and the run-time throttle ({@code basalt recovery throttle}, persisted at
 * config/recovery so it survives leader changes).
 */
public final class RecoveryAdminOps {
  private static final Logger log = LoggerFactory.getLogger(RecoveryAdminOps.class);
  private final MetaState state;
  private final Liveness live;
  private final TermLocal<RecoveryTable> table;

  public RecoveryAdminOps(MetaState state, Liveness live, TermLocal<RecoveryTable> table) {
    this.state = state;
    this.live = live;
    this.table = table;
  }

  public CompletableFuture<ListRecoveriesResponse> list() {
    return state.read(t -> {
      long now = state.nowNanos();
      List<RecoveryInfo> running = new ArrayList<>();
      List<RecoveryInfo> queued = new ArrayList<>();
      for (long pid : t.extents().shortOfReplicas()) {
        PExtent pe = t.extents().get(pid);
        (pe.recovering() ? running : queued).add(info(t, pe, now));
      }
      for (Chunk c : t.chunks().all()) {
        for (long pid : t.extents().recoveringOn(c.cid())) {
          PExtent pe = t.extents().get(pid);
          if (!pe.shortOfReplicas()) {
            running.add(info(t, pe, now)); // a target on a full extent (expected count lowered): still listed
          }
        }
      }
      Comparator<RecoveryInfo> urgent = Comparator.comparingInt(RecoveryInfo::getLiveReplicas)
          .thenComparingLong(RecoveryInfo::getPid);
      running.sort(urgent);
      queued.sort(urgent);
      return ListRecoveriesResponse.newBuilder().addAllRecoveries(running).addAllRecoveries(queued)
          .setThrottle(RecoveryThrottles.effective(t.recoveryThrottle()))
          .setDegraded(t.extents().shortOfReplicas().size())
          .setRecovering(running.size()).build();
    });
  }

  private RecoveryInfo info(MetaTables t, PExtent pe, long now) {
    RecoveryTable rt = table.get();
    Volume v = t.volumes().get(pe.vid());
    long total = v == null ? 0 : v.extentSize();
    RecoveryInfo.Builder b = RecoveryInfo.newBuilder().setPid(pe.pid()).setVid(pe.vid())
        .setVolume(v == null ? "" : v.name()).setIndex(pe.index()).setLiveReplicas(live.liveReplicas(pe))
        .setExpectedReplicas(pe.expectedReplicas()).setBytesTotal(total).setEtaMs(-1).setRunningMs(-1);
    if (!pe.recovering()) {
      boolean stuck = rt.noTargetLogged(pe.pid());
      return b.setSourceCid(pe.copySource(live.ownerAlive(pe)))
          .setState(stuck ? "no target available" : "queued").build();
    }
    b.setTargetCid(pe.recoveringCid()).setSourceCid(live.ownerAlive(pe) ? pe.ownerCid() : 0);
    Long at = rt.assignedAt(pe.pid());
    if (at != null) {
      b.setRunningMs((now - at) / 1_000_000);
    }
    RecoveryTable.Reported r = rt.progress(pe.pid(), pe.recoveryEpoch());
    if (r == null) {
      return b.setState(live.ownerAlive(pe) ? "starting" : "waiting for owner").build();
    }
    RecoveryProgress p = r.progress();
    b.setBytesDone(p.getBytesDone()).setBytesPerSec(p.getBytesPerSec()).setState(p.getState());
    if (p.getBytesTotal() > 0) {
      b.setBytesTotal(p.getBytesTotal());
    }
    if (p.getSourceCid() != 0) {
      b.setSourceCid(p.getSourceCid());
    }
    long left = Math.max(0, b.getBytesTotal() - p.getBytesDone());
    if (p.getBytesPerSec() > 0) {
      b.setEtaMs(left * 1000 / p.getBytesPerSec());
    } else if (left == 0) {
      b.setEtaMs(0);
    }
    return b.build();
  }

  /** Changes the throttle (a zero field keeps its value), persisted; both zero just answers the current one. */
  public CompletableFuture<SetRecoveryThrottleResponse> setThrottle(SetRecoveryThrottleRequest req) {
    return state.mutate("setRecoveryThrottle", t -> {
      RecoveryThrottle before = RecoveryThrottles.effective(t.recoveryThrottle());
      RecoveryThrottle next = RecoveryThrottles.merge(before, req.getBytesPerSec(), req.getPerChunk());
      if (next.equals(before)) {
        return Plan.done(() -> SetRecoveryThrottleResponse.newBuilder().setThrottle(before).build());
      }
      return Plan.of(new MutationBatch().putRecoveryThrottle(next), () -> {
        t.setRecoveryThrottle(next);
        log.info("recovery throttle set bytesPerSec={} perChunk={} (was bytesPerSec={} perChunk={})",
            next.getBytesPerSec(), next.getPerChunk(), before.getBytesPerSec(), before.getPerChunk());
        return SetRecoveryThrottleResponse.newBuilder().setThrottle(next).build();
      });
    });
  }
}
