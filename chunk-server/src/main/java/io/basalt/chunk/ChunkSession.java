package io.basalt.chunk;

import io.basalt.chunk.owner.OwnerLease;
import io.basalt.chunk.owner.OwnerTable;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.KeepAliveRequest;
import io.basalt.proto.KeepAliveResponse;
import io.basalt.proto.SessionGroup;
import io.basalt.rpc.BasaltException;
import io.basalt.session.FollowerSession;
import io.basalt.session.MetaClient;
import io.basalt.session.SessionClient;
import io.basalt.session.SessionConfig;
import io.basalt.session.SessionMetrics;

/**
 * This chunk's session with the meta leader (DESIGN.md "Sessions and leases"): the {@link OwnerLease} the owner path
 * checks, and the {@link SessionClient.Listener} that reports held leases in every keepalive, steps every owned
 * extent down the moment the local lease runs out (EXPIRED), and refreshes or drops leases meta names.
 */
final class ChunkSession implements OwnerLease, SessionClient.Listener, AutoCloseable {
  private final FollowerSession session;
  private final LocalChunk local;
  private final io.basalt.chunk.store.RocksReplicaStore store;
  private volatile OwnerTable owners;
  private volatile io.basalt.chunk.recovery.RecoveryRunner recoveries;
  private SessionClient client;

  ChunkSession(SessionConfig cfg, LocalChunk local, io.basalt.chunk.store.RocksReplicaStore store) {
    this.session = new FollowerSession(cfg, () -> "cid=" + local.cidOrZero());
    this.local = local;
    this.store = store;
  }

  void attach(OwnerTable table) {
    this.owners = table;
  }

  /** Recovery tasks and throttle from every keepalive answer go to {@code runner}; its progress to every request. */
  void attach(io.basalt.chunk.recovery.RecoveryRunner runner) {
    this.recoveries = runner;
  }

  /** Starts keepalives (after registration: the cid is known). {@code meta} is this session's own client. */
  void start(SessionConfig cfg, MetaClient meta, SessionMetrics metrics) {
    client = new SessionClient(cfg, session, meta,
        () -> KeepAliveRequest.newBuilder().setGroup(SessionGroup.CHUNK).setCid(local.cid()), this, metrics,
        System::nanoTime).start();
  }

  FollowerSession state() {
    return session;
  }

  @Override
  public Session current() {
    long epoch = session.epoch();
    if (!session.leaseValid(epoch, System.nanoTime())) {
      throw new BasaltException(ErrorCode.NO_SESSION, "chunk cid=" + local.cidOrZero() + " has no valid session ("
          + session.state() + "): cannot take leases", true);
    }
    return new Session(session.uuid(), epoch);
  }

  @Override
  public boolean valid(long epoch) {
    return session.leaseValid(epoch, System.nanoTime());
  }

  @Override
  public void onTransition(FollowerSession.Transition t) {
    OwnerTable table = owners;
    if (t.to() == FollowerSession.State.EXPIRED && table != null) {
      table.stepDownAll("session=" + t.uuid() + " epoch=" + t.epoch() + " expired: " + t.reason());
    }
  }

  @Override
  public void fill(KeepAliveRequest.Builder request) {
    request.setName(local.address()).setUsedBytes(store.usedBytes()).setCapacityBytes(store.capacityBytes());
    OwnerTable table = owners;
    if (table != null && !request.getSessionUuid().isEmpty()) {
      request.addAllLeases(table.heldLeases(request.getSessionEpoch()));
    }
    io.basalt.chunk.recovery.RecoveryRunner runner = recoveries;
    if (runner != null) request.addAllRecoveries(runner.progress());
  }

  @Override
  public void onAnswer(KeepAliveResponse response) {
    io.basalt.chunk.recovery.RecoveryRunner runner = recoveries;
    if (runner != null) {
      runner.update(response.getRecoveryTasksList(),
          response.hasRecoveryThrottle() ? response.getRecoveryThrottle() : null);
    }
    OwnerTable table = owners;
    if (table == null) {
      return;
    }
    response.getRevokedPidsList().forEach(pid -> table.stepDownLater(pid, "meta revoked the lease"));
    response.getRefreshPidsList().forEach(table::refreshLater);
  }

  @Override
  public void close() {
    if (client != null) {
      client.close();
    }
  }
}
