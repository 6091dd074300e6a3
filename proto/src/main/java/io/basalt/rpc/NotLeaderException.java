package io.basalt.rpc;

import io.basalt.proto.ErrorCode;

/** A meta follower answered; {@link #leaderAddress()} is where the leader is ("" when unknown). */
public final class NotLeaderException extends BasaltException {
  private final String leaderAddress;

  public NotLeaderException(String leaderAddress, String message) {
    super(ErrorCode.NOT_LEADER, message, true);
    this.leaderAddress = leaderAddress == null ? "" : leaderAddress;
  }

  public String leaderAddress() {
    return leaderAddress;
  }
}
