package io.basalt.cli.status;

import com.codahale.metrics.MetricRegistry;
import io.basalt.cli.output.TablePrinter;
import io.basalt.proto.Envelope;
import io.basalt.proto.MetaInfoRequest;
import io.basalt.proto.MetaInfoResponse;
import io.basalt.rpc.RpcClientFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every meta server and ZooKeeper member of a cluster and what each says it is, for {@code basalt cluster status}.
 * Meta servers come from {@link MetaDirectory} and are each asked MetaInfo (any meta server answers it, leader or
 * not); one that does not answer within the deadline is "unreachable". ZooKeeper members come from the connect
 * string and are asked {@code srvr} ({@link ZkMemberProbe}).
 *
 * @param active the published leader ({@code meta/active}), null when none
 * @param metas sorted by address
 * @param zookeepers in connect-string order
 */
public record Membership(String active, List<Meta> metas, List<Member> zookeepers) {
  private static final Logger log = LoggerFactory.getLogger(Membership.class);
  public static final String UNREACHABLE = "unreachable";

  /** A meta server: {@code epoch} and {@code leaderHint} are null when it did not answer. */
  public record Meta(String address, String state, Long epoch, String leaderHint) {
    public static Meta unreachable(String address) {
      return new Meta(address, UNREACHABLE, null, null);
    }
  }

  /** A ZooKeeper member. */
  public record Member(String address, String state) {}

  /** Looks everything up; each call waits at most {@code deadline}. Never throws: what it cannot reach it says so. */
  public static Membership probe(String zkConnect, String cluster, Duration deadline) {
    ExecutorService pool = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "basalt-cli-zk-probe");
      t.setDaemon(true);
      return t;
    });
    try {
      List<CompletableFuture<Member>> zks = new ArrayList<>();
      for (String m : ZkMemberProbe.members(zkConnect)) {
        zks.add(CompletableFuture.supplyAsync(() -> new Member(m, ZkMemberProbe.probe(m, deadline)), pool));
      }
      String active = null;
      List<Meta> metas = List.of();
      try (CuratorFramework zk = CuratorFrameworkFactory.builder().connectString(zkConnect)
          .sessionTimeoutMs(10_000).connectionTimeoutMs((int) deadline.toMillis())
          .retryPolicy(new RetryOneTime(100)).build()) {
        zk.start();
        if (zk.blockUntilConnected((int) deadline.toMillis(), TimeUnit.MILLISECONDS)) {
          MetaDirectory dir = new MetaDirectory(zk, cluster);
          active = dir.active().orElse(null);
          metas = askAll(dir.addresses(), deadline);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        log.warn("cannot list the meta servers in ZooKeeper at {}: {}", zkConnect, e.toString());
      }
      return new Membership(active, metas, zks.stream().map(CompletableFuture::join).toList());
    } finally {
      pool.shutdownNow();
    }
  }

  private static List<Meta> askAll(List<String> addresses, Duration deadline) {
    try (RpcClientFactory rpc = new RpcClientFactory("cli-status", new MetricRegistry())) {
      List<CompletableFuture<Meta>> calls = new ArrayList<>();
      for (String a : addresses) {
        CompletableFuture<Meta> call;
        try {
          call = rpc.client(a).call(Envelope.newBuilder().setMetaInfo(MetaInfoRequest.getDefaultInstance()),
              deadline).thenApply(e -> of(a, e.getMetaInfoResponse()));
        } catch (RuntimeException e) {
          call = CompletableFuture.failedFuture(e);
        }
        calls.add(call.exceptionally(e -> Meta.unreachable(a)));
      }
      return calls.stream().map(CompletableFuture::join).toList();
    }
  }

  private static Meta of(String dialed, MetaInfoResponse r) {
    return new Meta(dialed, r.getState(), r.getMetaEpoch(), r.getLeaderHint());
  }

  /** The highest epoch a reachable meta server leads under (0 when none leads). */
  public long highestEpoch() {
    return metas.stream().filter(m -> m.epoch() != null).mapToLong(Meta::epoch).max().orElse(0);
  }

  /** The JSON arrays {@code metas} and {@code zookeepers}. */
  public List<Map<String, Object>> metasJson() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Meta m : metas) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("address", m.address());
      o.put("state", m.state());
      o.put("meta_epoch", m.epoch());
      o.put("leader_hint", m.leaderHint() == null || m.leaderHint().isEmpty() ? null : m.leaderHint());
      out.add(o);
    }
    return out;
  }

  public List<Map<String, Object>> zookeepersJson() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Member z : zookeepers) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("address", z.address());
      o.put("state", z.state());
      out.add(o);
    }
    return out;
  }

  /** Two tables, META and ZOOKEEPER, separated by a blank line. */
  public String render() {
    TablePrinter m = new TablePrinter("META", "STATE", "EPOCH", "SEES_LEADER");
    for (Meta x : metas) {
      m.row(x.address(), x.state(), x.epoch(), x.leaderHint() == null || x.leaderHint().isEmpty() ? null
          : x.leaderHint());
    }
    TablePrinter z = new TablePrinter("ZOOKEEPER", "STATE");
    for (Member x : zookeepers) {
      z.row(x.address(), x.state());
    }
    return m.render() + "\n" + z.render();
  }
}
