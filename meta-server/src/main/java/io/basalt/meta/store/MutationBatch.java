package io.basalt.meta.store;

import io.basalt.proto.ChunkRecord;
import io.basalt.proto.ExtentMapPage;
import io.basalt.proto.IdCounters;
import io.basalt.proto.PExtentPage;
import io.basalt.proto.RecoveryThrottle;
import io.basalt.proto.ScrubPage;
import io.basalt.proto.ScrubThrottle;
import io.basalt.proto.VolumeRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * Record-level changes that must land together: {@link MetaStore#commit} turns them into one ZooKeeper multi
 * (plus the fencing check). Pages are written whole; an empty pextent page deletes its znode.
 *
 * <p>Not thread-safe: built and committed by the MetaLoop thread.
 */
public final class MutationBatch {
  /** One record change. */
  public sealed interface Op permits PutChunk, PutVolume, DeleteVolume, PutMapPage, PutPExtentPage, PutIds,
      PutRecoveryThrottle, PutScrubPage, PutScrubThrottle {}

  public record PutChunk(ChunkRecord chunk) implements Op {}

  public record PutVolume(VolumeRecord volume) implements Op {}

  /** Deletes the volume znode and every map page under it. */
  public record DeleteVolume(long vid) implements Op {}

  public record PutMapPage(long vid, long page, ExtentMapPage map) implements Op {}

  /** Writes the page; an empty page deletes its znode. */
  public record PutPExtentPage(long page, PExtentPage pextents) implements Op {}

  public record PutIds(IdCounters ids) implements Op {}

  /** config/recovery: the operator's recovery throttle. */
  public record PutRecoveryThrottle(RecoveryThrottle throttle) implements Op {}

  /** scrub/&lt;page&gt;: the last scrub of each pextent of the page; an empty page deletes its znode. */
  public record PutScrubPage(long page, ScrubPage records) implements Op {}

  /** config/scrub: the operator's scrub throttle. */
  public record PutScrubThrottle(ScrubThrottle throttle) implements Op {}

  private final List<Op> ops = new ArrayList<>();

  public MutationBatch putChunk(ChunkRecord chunk) {
    ops.add(new PutChunk(chunk));
    return this;
  }

  public MutationBatch putVolume(VolumeRecord volume) {
    ops.add(new PutVolume(volume));
    return this;
  }

  public MutationBatch deleteVolume(long vid) {
    ops.add(new DeleteVolume(vid));
    return this;
  }

  public MutationBatch putMapPage(long vid, long page, ExtentMapPage map) {
    ops.add(new PutMapPage(vid, page, map));
    return this;
  }

  public MutationBatch putPExtentPage(long page, PExtentPage pextents) {
    ops.add(new PutPExtentPage(page, pextents));
    return this;
  }

  public MutationBatch putIds(IdCounters ids) {
    ops.add(new PutIds(ids));
    return this;
  }

  public MutationBatch putRecoveryThrottle(RecoveryThrottle throttle) {
    ops.add(new PutRecoveryThrottle(throttle));
    return this;
  }

  public MutationBatch putScrubPage(long page, ScrubPage records) {
    ops.add(new PutScrubPage(page, records));
    return this;
  }

  public MutationBatch putScrubThrottle(ScrubThrottle throttle) {
    ops.add(new PutScrubThrottle(throttle));
    return this;
  }

  public List<Op> ops() {
    return List.copyOf(ops);
  }

  public boolean isEmpty() {
    return ops.isEmpty();
  }

  public int size() {
    return ops.size();
  }

  private static String describe(Op op) {
    if (op instanceof PutChunk c) {
      return "PutChunk(cid=" + c.chunk().getCid() + ")";
    } else if (op instanceof PutVolume v) {
      return "PutVolume(vid=" + v.volume().getVid() + ")";
    } else if (op instanceof DeleteVolume d) {
      return "DeleteVolume(vid=" + d.vid() + ")";
    } else if (op instanceof PutMapPage m) {
      return "PutMapPage(vid=" + m.vid() + ",page=" + m.page() + ")";
    } else if (op instanceof PutPExtentPage p) {
      return "PutPExtentPage(page=" + p.page() + ")";
    } else if (op instanceof PutRecoveryThrottle) {
      return "PutRecoveryThrottle";
    } else if (op instanceof PutScrubPage s) {
      return "PutScrubPage(page=" + s.page() + ")";
    } else if (op instanceof PutScrubThrottle) {
      return "PutScrubThrottle";
    }
    return "PutIds";
  }

  /** Short form for logs, e.g. {@code [PutIds, PutPExtentPage(page=0), PutMapPage(vid=3,page=0)]}. */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("[");
    for (Op op : ops) {
      if (b.length() > 1) {
        b.append(", ");
      }
      b.append(describe(op));
    }
    return b.append(']').toString();
  }
}
