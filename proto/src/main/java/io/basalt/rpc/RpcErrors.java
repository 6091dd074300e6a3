package io.basalt.rpc;

import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;

/** Maps between {@link BasaltException}s and error envelopes, in one place for both ends. */
public final class RpcErrors {
  private RpcErrors() {}

  public static Envelope.Builder toEnvelope(long requestId, Throwable error) {
    BasaltException e = BasaltException.of(error);
    Envelope.Builder b = Envelope.newBuilder()
        .setRequestId(requestId)
        .setResponse(true)
        .setCode(e.code())
        .setRetryable(e.retryable())
        .setMessage(messageOf(e));
    if (e instanceof NotLeaderException nl) {
      b.setLeaderAddress(nl.leaderAddress());
    } else if (e instanceof NotOwnerException no) {
      b.setOwnerCid(no.ownerCid()).setOwnerAddress(no.ownerAddress());
    } else if (e instanceof StaleEpochException se) {
      b.setCurrentEpoch(se.currentEpoch());
    }
    return b;
  }

  /** The exception a caller sees for an error response. */
  public static BasaltException fromEnvelope(Envelope h) {
    BasaltException e = exceptionOf(h);
    e.metaEpoch(h.getMetaEpoch());
    return e;
  }

  private static BasaltException exceptionOf(Envelope h) {
    String msg = h.getMessage();
    return switch (h.getCode()) {
      case NOT_LEADER -> new NotLeaderException(h.getLeaderAddress(), msg);
      case NOT_OWNER -> new NotOwnerException(h.getOwnerCid(), h.getOwnerAddress(), msg);
      case STALE_EPOCH -> new StaleEpochException(h.getCurrentEpoch(), msg);
      case ERROR_CODE_UNSPECIFIED, UNRECOGNIZED ->
          new BasaltException(ErrorCode.INTERNAL, "response without error code: " + msg, false);
      default -> new BasaltException(h.getCode(), msg, h.getRetryable());
    };
  }

  private static String messageOf(BasaltException e) {
    String m = e.getMessage();
    String prefix = e.code() + ": ";
    return m != null && m.startsWith(prefix) ? m.substring(prefix.length()) : String.valueOf(m);
  }
}
