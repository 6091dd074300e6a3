package io.basalt.chunk.owner;

import io.basalt.chunk.store.ExtentEpoch;
import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;

/**
 * The chunk's session as the owner path sees it: which session leases are acquired under, and whether a lease held
 * under a session is still valid now (the local lease, measured from keepalive send time minus the drift margin).
 */
public interface OwnerLease {
  /** A session: uuid and epoch. */
  record Session(String uuid, long epoch) {}

  /** The current session if its local lease is valid now; else a retryable NO_SESSION error. */
  Session current();

  /** Whether a lease held under session {@code epoch} is valid now. */
  boolean valid(long epoch);

  /** The refusal for an owner whose lease ran out: nothing may be acknowledged after it. */
  static BasaltException expired(ExtentEpoch at, long sessionEpoch) {
    return new BasaltException(ErrorCode.NOT_OWNER, "lease of " + at + " ran out with session"
        + " epoch=" + sessionEpoch + ": not acknowledged", true);
  }

  /** No sessions at all (unit tests of the owner path that do not exercise leases). */
  OwnerLease ALWAYS = new OwnerLease() {
    @Override
    public Session current() {
      return new Session("", 0);
    }

    @Override
    public boolean valid(long epoch) {
      return true;
    }
  };
}
