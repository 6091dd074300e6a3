package io.basalt.tester;

import io.basalt.it.cluster.ClusterNode;
import io.basalt.it.cluster.NodePartitions;
import io.basalt.it.cluster.ProcessCluster;
import io.basalt.it.faults.FaultProxy;
import io.basalt.proto.ExtentInfo;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Network failures (issue 14 point 2). Partitions of one chunk, with nftables between network namespaces (root):
 * from the meta servers only and one-way (its packets go out, nothing comes back). Chunks reach each other through
 * the fault proxies in the tester's JVM, so "from its peers only" blackholes, at those proxies, the connections
 * between the chunk and the other chunks (told apart by their namespace's address), while its block clients and meta
 * still reach it. And, through a chunk's proxy (no root needed), added latency and a bandwidth limit on one
 * replica's data channel.
 */
final class NetworkFaults {
  private NetworkFaults() {}

  /** How long a slow or throttled channel lasts. */
  static final Duration CHANNEL_FAULT = Duration.ofSeconds(5);
  static final Duration LATENCY = Duration.ofMillis(100);
  static final Duration JITTER = Duration.ofMillis(20);
  static final long BANDWIDTH = 256 * 1024;

  static List<FaultCase> cases() {
    return List.of(
        new Partition("partition-meta", "cut a random member of a random extent from every meta server (both ways)",
            (c, net, n) -> c.metas().forEach(m -> net.cutBoth(n, m))),
        new Partition("partition-peers", "cut a random member of a random extent from the other chunks (both ways;"
            + " its block clients and meta still reach it)",
            (c, net, n) -> {
              List<String> peers = c.chunks().stream().filter(o -> o != n).map(ClusterNode::host).toList();
              c.proxy(n).blackholeFrom(peers);
              c.chunks().stream().filter(o -> o != n).forEach(o -> c.proxy(o).blackholeFrom(List.of(n.host())));
            }),
        new Partition("partition-oneway", "one-way partition of a random member of a random extent: its packets go "
            + "out, nothing comes back in",
            (c, net, n) -> {
              net.rules().cut(net.testJvm(), n.host());
              c.nodes().stream().filter(o -> o != n).forEach(o -> net.cut(o, n));
            }),
        new Channel("slow-channel", "add " + LATENCY.toMillis() + " ms (+-" + JITTER.toMillis() + " ms) to a "
            + "non-owner replica's data channel for " + CHANNEL_FAULT.toSeconds() + " s",
            p -> p.latency(LATENCY, JITTER),
            "add " + LATENCY.toMillis() + " ms latency"),
        new Channel("throttled-channel", "limit a non-owner replica's data channel to " + BANDWIDTH / 1024
            + " KiB/s for " + CHANNEL_FAULT.toSeconds() + " s",
            p -> p.bandwidth(BANDWIDTH),
            "limit to " + BANDWIDTH / 1024 + " KiB/s"));
  }

  /** Cuts chunk {@code n}: nftables rules between namespaces, or its peers' connections at the fault proxies. */
  @FunctionalInterface
  private interface Cutter {
    void cut(ProcessCluster cluster, NodePartitions net, ClusterNode n);
  }

  private record Partition(String name, String summary, Cutter cutter) implements FaultCase {
    /** CI's short round cuts from the peers; the other two wait out a session expiry and are left to soaks. */
    @Override
    public boolean fast() {
      return name.equals("partition-peers");
    }

    @Override
    public Optional<String> unavailable(TesterCluster cluster) {
      return cluster.noNetns.map(why -> "needs network namespaces: " + why);
    }

    @Override
    public Fault plan(CaseContext ctx) {
      TesterCluster tc = ctx.tester();
      ExtentInfo x = ctx.randomExtent();
      int cid = x.getReplicas(ctx.random().nextInt(x.getReplicasCount()));
      ClusterNode n = ctx.cluster().chunkByCid(cid);
      String role = cid == x.getOwnerCid() ? "the lease owner" : "a non-owner replica";
      NodePartitions partitions = ctx.cluster().partitions();
      Duration bound = ctx.sessionTimeout().plusSeconds(20);
      return new Fault(name + ": " + summary.replace("a random member of a random extent", role + " (" + n.name()
          + ", cid=" + cid + ") of extent " + x.getIndex())) {
        private long epochBefore = x.getEpoch();

        @Override
        Optional<ClusterNode> node() {
          return Optional.of(n);
        }

        @Override
        void inject() {
          cutter.cut(ctx.cluster(), partitions, n);
        }

        @Override
        String settle() {
          // the extent changes epoch once meta removed a member (the cut one or, cut from it, another)
          long ms = CaseContext.within(bound, () -> tc.leftExtent(x.getIndex(), cid)
              || tc.cluster.extents(TesterCluster.STRESS).stream()
                  .anyMatch(e -> e.getIndex() == x.getIndex() && e.getEpoch() > epochBefore));
          // a cut past the session timeout in any case
          CaseContext.hold(ctx.sessionTimeout().plusSeconds(1).minusMillis(Math.max(0, ms)));
          return CaseContext.took("extent " + x.getIndex() + " changed membership", ms, bound);
        }

        @Override
        void recover() {
          partitions.healAll();
          ctx.cluster().chunks().forEach(o -> ctx.cluster().proxy(o).pass());
        }
      };
    }
  }

  private record Channel(String name, String summary, Function<FaultProxy, FaultProxy> apply, String act)
      implements FaultCase {
    /** A throttled channel ends in a replica replaced by a full copy: left to soaks. */
    @Override
    public boolean fast() {
      return name.equals("slow-channel");
    }


    @Override
    public Fault plan(CaseContext ctx) {
      TesterCluster tc = ctx.tester();
      ExtentInfo x = ctx.randomExtent();
      ClusterNode n = tc.nonOwnerMember(x, ctx.random());
      FaultProxy proxy = ctx.cluster().proxy(n);
      return new Fault(act + " on the data channel of a non-owner replica (" + n.name() + ", cid=" + tc.cidOf(n)
          + ") of extent " + x.getIndex() + " for " + CHANNEL_FAULT.toSeconds() + " s") {
        private long bytesBefore;

        @Override
        void inject() {
          bytesBefore = proxy.stats().bytesClientToServer();
          apply.apply(proxy);
        }

        @Override
        String settle() {
          CaseContext.hold(CHANNEL_FAULT);
          long bytes = proxy.stats().bytesClientToServer() - bytesBefore;
          return "held " + CHANNEL_FAULT.toMillis() + " ms; " + bytes / 1024 + " KiB crossed it meanwhile; "
              + (tc.leftExtent(x.getIndex(), tc.cidOf(n)) ? "it left extent " : "still a member of extent ")
              + x.getIndex();
        }

        @Override
        void recover() {
          proxy.pass();
        }
      };
    }
  }
}
