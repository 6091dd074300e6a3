package io.basalt.meta;

import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import io.basalt.proto.RegisterChunkRequest;
import io.basalt.rpc.BasaltException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/** Helpers for tests that run meta cores against a real embedded ZooKeeper. */
public final class MetaTestSupport {
  private MetaTestSupport() {}

  public static MetaConfig config(String zk) {
    return MetaConfig.defaults(zk).withCluster("test").withListen("127.0.0.1", 0)
        .withZkSessionTimeout(Duration.ofSeconds(6));
  }

  public static MetaCore startCore(MetaConfig config, String id) {
    return MetaCore.start(config, id, new MetricRegistry());
  }

  public static MetaCore awaitActive(MetaCore core) {
    await().atMost(Duration.ofSeconds(20)).until(core::isActiveLeader);
    return core;
  }

  /** Registers chunks 1..n with zones z1..zn and addresses 127.0.0.1:900&lt;cid&gt;; returns the cids. */
  public static int[] registerChunks(MetaCore core, int n) {
    int[] cids = new int[n];
    for (int i = 0; i < n; i++) {
      cids[i] = core.chunks().register(RegisterChunkRequest.newBuilder().setAddress("127.0.0.1:" + (9001 + i))
          .setZone("z" + (i + 1)).setCapacityBytes(1L << 40).build()).join().getCid();
    }
    return cids;
  }

  /** The BasaltException a future failed with (fails the test when it succeeded). */
  public static BasaltException failure(CompletableFuture<?> f) {
    try {
      Object v = f.join();
      throw new AssertionError("expected a failure, got " + v);
    } catch (CompletionException e) {
      return BasaltException.of(e);
    }
  }
}
