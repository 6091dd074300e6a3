package io.basalt.rpc;

import io.basalt.proto.Envelope;
import io.netty.buffer.ByteBuf;

/**
 * What a handler answers: a header carrying the response body (the server fills request id, response flag and
 * code) and an optional payload whose ownership passes to the server.
 */
public record Reply(Envelope.Builder header, ByteBuf data) {
  public static Reply of(Envelope.Builder header) {
    return new Reply(header, null);
  }

  public static Reply of(Envelope.Builder header, ByteBuf data) {
    return new Reply(header, data);
  }
}
