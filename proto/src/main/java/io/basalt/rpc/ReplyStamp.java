package io.basalt.rpc;

import io.basalt.proto.Envelope;
import java.util.function.Consumer;

/**
 * Adds fields to every reply header one server sends, OK and error alike (the meta server stamps the epoch it leads
 * under). Two steps so a stamp can see the request's dispatch: {@link #onRequest} runs on the event loop when the
 * request is dispatched, and what it returns is applied to that request's reply header. Both must be quick.
 */
@FunctionalInterface
public interface ReplyStamp {
  Consumer<Envelope.Builder> onRequest();
}
