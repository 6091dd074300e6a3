package io.basalt.rpc;

import io.basalt.proto.ErrorCode;

/** The chunk is not the lease owner of the extent; the owner, when known, is named. */
public final class NotOwnerException extends BasaltException {
  private final int ownerCid;
  private final String ownerAddress;

  public NotOwnerException(int ownerCid, String ownerAddress, String message) {
    super(ErrorCode.NOT_OWNER, message, true);
    this.ownerCid = ownerCid;
    this.ownerAddress = ownerAddress == null ? "" : ownerAddress;
  }

  public int ownerCid() {
    return ownerCid;
  }

  public String ownerAddress() {
    return ownerAddress;
  }
}
