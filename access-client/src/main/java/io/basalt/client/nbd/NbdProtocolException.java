package io.basalt.client.nbd;

/**
 * A client broke the protocol in a way that leaves no reply to send (bad magic, an oversized WRITE payload): the
 * connection is closed after logging the message, and nothing else is affected.
 */
final class NbdProtocolException extends RuntimeException {
  NbdProtocolException(String message) {
    super(message, null, false, false);
  }
}
