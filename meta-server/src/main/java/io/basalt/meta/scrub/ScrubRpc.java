package io.basalt.meta.scrub;

import com.codahale.metrics.MetricRegistry;
import io.basalt.proto.Envelope;
import io.basalt.proto.QuarantineReplicaRequest;
import io.basalt.proto.QuarantineReplicaResponse;
import io.basalt.proto.ScrubExtentRequest;
import io.basalt.proto.ScrubExtentResponse;
import io.basalt.rpc.RpcClientFactory;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Meta's calls to chunk servers for scrub: ScrubExtent to an extent's owner, QuarantineReplica to a member. Owns its
 * {@link RpcClientFactory} (one connection per chunk, made on first use), closed with the wiring. Every call has a
 * deadline; an error reply or a timeout fails the future with a {@link io.basalt.rpc.BasaltException}. Any thread;
 * futures complete on the client's event loop.
 */
public final class ScrubRpc implements AutoCloseable {
  private final RpcClientFactory clients;

  public ScrubRpc(MetricRegistry registry) {
    this.clients = new RpcClientFactory("meta-scrub", registry);
  }

  public CompletableFuture<ScrubExtentResponse> scrubExtent(String owner, ScrubExtentRequest req,
      Duration deadline) {
    try {
      return clients.client(owner).call(Envelope.newBuilder().setScrubExtent(req), deadline)
          .thenApply(Envelope::getScrubExtentResponse);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  public CompletableFuture<QuarantineReplicaResponse> quarantine(String chunk, QuarantineReplicaRequest req,
      Duration deadline) {
    try {
      return clients.client(chunk).call(Envelope.newBuilder().setQuarantineReplica(req), deadline)
          .thenApply(Envelope::getQuarantineReplicaResponse);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public void close() {
    clients.close();
  }
}
