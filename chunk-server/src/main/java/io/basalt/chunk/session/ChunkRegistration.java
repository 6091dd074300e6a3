package io.basalt.chunk.session;

import io.basalt.chunk.store.ChunkIdentity;
import io.basalt.chunk.store.RocksReplicaStore;
import io.basalt.proto.Envelope;
import io.basalt.proto.RegisterChunkRequest;
import io.basalt.proto.RegisterChunkResponse;
import io.basalt.rpc.BasaltException;
import io.basalt.session.MetaClient;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers this chunk with meta at startup: sends the cid persisted in the store (0 the first time), retries
 * until meta answers, and persists the identity meta assigned the first time so a restarted chunk keeps its cid
 * (DESIGN.md "Data model"). A store that belongs to another cid than the one meta answers refuses to start.
 * Thread: the starting thread (blocking).
 */
public final class ChunkRegistration {
  private static final Logger log = LoggerFactory.getLogger(ChunkRegistration.class);
  private static final long RETRY_PAUSE_MS = 1000;

  private ChunkRegistration() {}

  /** Blocks until registered, or throws once {@code stop} is counted down. */
  public static ChunkIdentity register(MetaClient meta, RocksReplicaStore store, String zone, String cluster,
      String address, String adminAddress, CountDownLatch stop) {
    Optional<ChunkIdentity> known = store.identity();
    RegisterChunkRequest req = RegisterChunkRequest.newBuilder()
        .setCid(known.map(ChunkIdentity::cid).orElse(0))
        .setClusterId(known.map(ChunkIdentity::clusterId).orElse(""))
        .setAddress(address).setZone(zone).setAdminAddress(adminAddress)
        .setCapacityBytes(store.capacityBytes()).setUsedBytes(store.usedBytes())
        .build();
    log.info("registering with meta cid={} address={} zone={}", req.getCid(), address, zone);
    for (int attempt = 1; ; attempt++) {
      try {
        RegisterChunkResponse resp = meta.callSync(Envelope.newBuilder().setRegisterChunk(req))
            .getRegisterChunkResponse();
        return adopt(store, known, resp, cluster);
      } catch (BasaltException e) {
        log.warn("registration with meta failed, retrying cid={} attempt={} error={}", req.getCid(), attempt,
            e.getMessage());
      }
      try {
        if (stop.await(RETRY_PAUSE_MS, TimeUnit.MILLISECONDS)) {
          throw new IllegalStateException("chunk server closed before registering with meta");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while registering with meta", e);
      }
    }
  }

  private static ChunkIdentity adopt(RocksReplicaStore store, Optional<ChunkIdentity> known,
      RegisterChunkResponse resp, String cluster) {
    if (resp.getCid() <= 0) {
      throw new IllegalStateException("meta answered registration without a cid: " + resp);
    }
    if (known.isPresent()) {
      if (known.get().cid() != resp.getCid()) {
        throw new IllegalStateException("meta assigned cid=" + resp.getCid() + " but this store belongs to cid="
            + known.get().cid());
      }
      log.info("registered with meta cid={} clusterId={} (persisted identity)", resp.getCid(),
          known.get().clusterId());
      return known.get();
    }
    String clusterId = resp.getClusterId().isEmpty() ? cluster : resp.getClusterId();
    ChunkIdentity identity = new ChunkIdentity(clusterId, resp.getCid());
    store.saveIdentity(identity);
    log.info("registered with meta cid={} clusterId={} (new identity persisted)", identity.cid(), clusterId);
    return identity;
  }
}
