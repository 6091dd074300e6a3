package io.basalt.meta;

import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import io.basalt.proto.AcquireLeaseRequest;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.KeepAliveRequest;
import io.basalt.proto.KeepAliveResponse;
import io.basalt.proto.RegisterChunkRequest;
import io.basalt.proto.SessionGroup;
import io.basalt.session.SessionConfig;
import io.basalt.rpc.BasaltException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.IntToLongFunction;

/** Helpers for tests that run meta cores against a real embedded ZooKeeper. */
public final class MetaTestSupport {
  private MetaTestSupport() {}

  /** Short sessions (keepalive 100 ms, timeout 1 s: a new leader's grace is 1.1 s). */
  public static final SessionConfig SESSIONS = SessionConfig.of(Duration.ofMillis(100), Duration.ofSeconds(1));

  /** Recovery passes only when a test runs one ({@code core.recoveryScheduler().passNow()}). */
  public static MetaConfig config(String zk) {
    return MetaConfig.defaults(zk).withCluster("test").withListen("127.0.0.1", 0)
        .withZkSessionTimeout(Duration.ofSeconds(6)).withSessions(SESSIONS).withRecoveryInterval(Duration.ZERO);
  }

  /** A chunk session opened by one keepalive (tests that need it alive keep calling {@link #keepAlive}). */
  public record TestSession(int cid, String uuid, long epoch) {}

  public static TestSession openSession(MetaCore core, int cid) {
    KeepAliveResponse r = core.sessions().keepAlive(KeepAliveRequest.newBuilder().setGroup(SessionGroup.CHUNK)
        .setCid(cid).setName("test").build()).join();
    return new TestSession(cid, r.getSessionUuid(), r.getSessionEpoch());
  }

  public static KeepAliveResponse keepAlive(MetaCore core, TestSession s) {
    return keepAlive(core, s, 0);
  }

  /** A keepalive that reports {@code usedBytes} (placement prefers the least used chunks). */
  public static KeepAliveResponse keepAlive(MetaCore core, TestSession s, long usedBytes) {
    return core.sessions().keepAlive(KeepAliveRequest.newBuilder().setGroup(SessionGroup.CHUNK).setCid(s.cid())
        .setSessionUuid(s.uuid()).setSessionEpoch(s.epoch()).setUsedBytes(usedBytes).build()).join();
  }

  /**
   * One keepalive round for chunks {@code cids}: opens a session for a cid that has none, renews the others, and
   * forgets one meta answered NO_SESSION (gone) so the next round opens a new one; other failures wait for the next
   * round. Called from a test's keepalive thread.
   */
  public static void keepAliveAll(MetaCore core, Map<Integer, TestSession> sessions, int... cids) {
    keepAliveAll(core, sessions, cid -> 0, cids);
  }

  /** As {@link #keepAliveAll(MetaCore, Map, int...)}, each chunk reporting {@code usedBytes.applyAsLong(cid)}. */
  public static void keepAliveAll(MetaCore core, Map<Integer, TestSession> sessions, IntToLongFunction usedBytes,
      int... cids) {
    for (int cid : cids) {
      TestSession s = sessions.get(cid);
      try {
        if (s == null) {
          sessions.put(cid, openSession(core, cid));
        } else {
          keepAlive(core, s, usedBytes.applyAsLong(cid));
        }
      } catch (RuntimeException e) {
        if (s != null && BasaltException.of(e).code() == ErrorCode.NO_SESSION) {
          sessions.remove(cid, s);
        }
      }
    }
  }

  /** Waits until the leader's grace is over (leases can be granted). */
  public static void awaitGraceOver(MetaCore core) {
    await().atMost(Duration.ofSeconds(20)).until(() ->
        core.sessions().status().join().getGraceRemainingMs() == 0);
  }

  /** AcquireLease for {@code s}'s chunk under its session. */
  public static ExtentInfo lease(MetaCore core, long pid, TestSession s) {
    return core.extents().acquireLease(AcquireLeaseRequest.newBuilder().setPid(pid).setCid(s.cid())
        .setSessionUuid(s.uuid()).setSessionEpoch(s.epoch()).build()).join();
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
