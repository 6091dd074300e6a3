package io.basalt.rpc;

import java.util.concurrent.CompletableFuture;

/**
 * Serves one request kind. Called on a Netty event loop: it must not block (hop to an executor for disk,
 * ZooKeeper or waiting). The server releases the request's data after the returned future completes; retain
 * it to keep it longer. Fail the future with a {@link BasaltException} to send an error reply.
 */
@FunctionalInterface
public interface RpcHandler {
  CompletableFuture<Reply> handle(Frame request);
}
