package io.basalt.chunk.session;

import io.basalt.chunk.core.LocalChunk;
import io.basalt.chunk.owner.OwnerTable;
import io.basalt.chunk.recovery.RecoveryRunner;
import io.basalt.chunk.store.RocksReplicaStore;
import io.basalt.proto.KeepAliveRequest;
import io.basalt.proto.KeepAliveResponse;
import io.basalt.proto.SessionGroup;
import io.basalt.session.FollowerSession;
import io.basalt.session.MetaClient;
import io.basalt.session.SessionClient;
import io.basalt.session.SessionConfig;
import io.basalt.session.SessionMetrics;

/**
 * This chunk's keepalives with the meta leader (DESIGN.md "Sessions and leases"): the {@link SessionClient.Listener}
 * that reports held leases and recovery progress in every keepalive, steps every owned extent down the moment the
 * local lease runs out (EXPIRED), refreshes or drops leases meta names, and hands meta's recovery tasks and throttle
 * to the {@link RecoveryRunner}. The session state it moves is {@link SessionLease} (built first: the owner table
 * checks it); this listener is built after the owner table and the runner, so it holds both from the start.
 *
 * <p>Thread: the SessionClient's keepalive thread ({@code basalt-session-keepalive-N}), from {@link #start}.
 */
public final class ChunkSession implements SessionClient.Listener, AutoCloseable {
  private final SessionLease lease;
  private final LocalChunk local;
  private final RocksReplicaStore store;
  private final OwnerTable owners;
  private final RecoveryRunner recoveries;
  private SessionClient client;

  public ChunkSession(SessionLease lease, LocalChunk local, RocksReplicaStore store, OwnerTable owners,
      RecoveryRunner recoveries) {
    this.lease = lease;
    this.local = local;
    this.store = store;
    this.owners = owners;
    this.recoveries = recoveries;
  }

  /** Starts keepalives (after registration: the cid is known). {@code meta} is this session's own client. */
  public ChunkSession start(SessionConfig cfg, MetaClient meta, SessionMetrics metrics) {
    client = new SessionClient(cfg, lease.state(), meta,
        () -> KeepAliveRequest.newBuilder().setGroup(SessionGroup.CHUNK).setCid(local.cid()), this, metrics,
        lease.clock()).start(); // sent/answered times on the clock the lease is checked on
    return this;
  }

  @Override
  public void onTransition(FollowerSession.Transition t) {
    if (t.to() == FollowerSession.State.EXPIRED) {
      owners.stepDownAll("session=" + t.uuid() + " epoch=" + t.epoch() + " expired: " + t.reason());
    }
  }

  @Override
  public void fill(KeepAliveRequest.Builder request) {
    request.setName(local.address()).setUsedBytes(store.usedBytes()).setCapacityBytes(store.capacityBytes())
        .setFull(store.diskSpace().full()); // meta places nothing here while it is full (TESTPLAN F16)
    if (!request.getSessionUuid().isEmpty()) {
      request.addAllLeases(owners.heldLeases(request.getSessionEpoch()));
    }
    request.addAllRecoveries(recoveries.progress());
  }

  @Override
  public void onAnswer(KeepAliveResponse response) {
    recoveries.update(response.getRecoveryTasksList(),
        response.hasRecoveryThrottle() ? response.getRecoveryThrottle() : null);
    response.getRevokedPidsList().forEach(pid -> owners.stepDownLater(pid, "meta revoked the lease"));
    response.getRefreshPidsList().forEach(owners::refreshLater);
  }

  @Override
  public void close() {
    if (client != null) {
      client.close();
    }
  }
}
