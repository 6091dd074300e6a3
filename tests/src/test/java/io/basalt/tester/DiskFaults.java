package io.basalt.tester;

import io.basalt.it.cluster.ClusterNode;
import io.basalt.it.cluster.ProcessCluster;
import io.basalt.it.fault.SmallDisk;
import io.basalt.it.fault.StraceInjection;
import io.basalt.proto.ChunkInfo;
import io.basalt.proto.ExtentInfo;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Disk failures (issue 14 point 2): the disk of one chunk full (its data directory is a small tmpfs, filled with
 * {@code fallocate}; root), and a failed fsync on one replica ({@code strace -e inject=fdatasync:error=EIO} on its
 * JVM; the chunk's store fails, so recovery restarts it).
 */
final class DiskFaults {
  private DiskFaults() {}

  static List<FaultCase> cases() {
    return List.of(new DiskFull(), new FsyncError());
  }

  private static final class DiskFull extends BasicCase {
    DiskFull() {
      super("disk-full", "fill the disk of the chunk on the small tmpfs, then free it", true);
    }

    @Override
    public Optional<String> unavailable(TesterCluster cluster) {
      return cluster.smallDisk().isPresent() ? Optional.empty()
          : Optional.of("needs a small disk: " + cluster.noSmallDisk.orElse("none"));
    }

    @Override
    public Fault plan(CaseContext ctx) {
      TesterCluster tc = ctx.tester();
      ProcessCluster c = ctx.cluster();
      SmallDisk disk = tc.smallDisk().orElseThrow();
      ClusterNode n = tc.smallDiskChunk();
      int cid = tc.cidOf(n);
      return new Fault("fill the disk of " + n.name() + " (cid=" + cid + ", a " + TesterCluster.SMALL_DISK_MIB
          + " MiB tmpfs)") {
        @Override
        Optional<ClusterNode> node() {
          return Optional.of(n);
        }

        @Override
        void inject() throws Exception {
          disk.fill();
        }

        @Override
        String settle() {
          Duration bound = Duration.ofSeconds(30);
          long full = CaseContext.within(bound, () -> full(c, cid));
          long out = CaseContext.within(bound, () -> c.extents(TesterCluster.STRESS).stream()
              .noneMatch(e -> e.getReplicasList().contains(cid)));
          return CaseContext.took("full at meta", full, bound) + ", "
              + CaseContext.took("out of every stress extent", out, bound);
        }

        @Override
        void recover() throws Exception {
          disk.free();
          Duration bound = Duration.ofSeconds(30);
          long ms = CaseContext.within(bound, () -> !full(c, cid));
          if (ms < 0) {
            throw new IllegalStateException(n.name() + " still full " + bound.toSeconds() + " s after its disk was"
                + " freed");
          }
        }
      };
    }

    private static boolean full(ProcessCluster c, int cid) {
      return c.listChunks().stream().filter(ch -> ch.getCid() == cid).anyMatch(ChunkInfo::getFull);
    }
  }

  private static final class FsyncError extends BasicCase {
    FsyncError() {
      super("fsync-eio", "fail every fdatasync of a non-owner replica's chunk with EIO (strace), then restart it",
          false);
    }

    @Override
    public Optional<String> unavailable(TesterCluster cluster) {
      return cluster.noStrace;
    }

    @Override
    public Fault plan(CaseContext ctx) {
      TesterCluster tc = ctx.tester();
      ProcessCluster c = ctx.cluster();
      ExtentInfo x = ctx.randomExtent();
      ClusterNode n = tc.nonOwnerMember(x, ctx.random());
      int cid = tc.cidOf(n);
      return new Fault("fail every fdatasync with EIO in a non-owner replica (" + n.name() + ", cid=" + cid
          + ") of extent " + x.getIndex()) {
        private StraceInjection strace;

        @Override
        Optional<ClusterNode> node() {
          return Optional.of(n);
        }

        @Override
        void inject() throws Exception {
          strace = StraceInjection.attach(n.pid(), "fdatasync", "EIO", ctx.dir());
        }

        @Override
        String settle() {
          Duration bound = Duration.ofSeconds(30);
          long ms = CaseContext.within(bound, () -> tc.leftExtent(x.getIndex(), cid));
          return strace.injected() + " fdatasync calls failed; "
              + CaseContext.took("it left extent " + x.getIndex(), ms, bound);
        }

        @Override
        void recover() {
          strace.close();
          c.restart(n); // its store failed: only a restart brings it back
        }
      };
    }
  }
}
