package io.basalt.chunk.core;

import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;

/**
 * Who this chunk server is: its cid (0 until meta has answered registration) and its RPC address. Written once by
 * the starting thread (the wiring, {@code ChunkServer}: the address once the RPC server is bound, the cid once meta
 * answered registration), read by every thread (volatile). Late-bound values, not a way back to any component.
 */
public final class LocalChunk {
  private volatile int cid;
  private volatile String address = "";

  /** The cid; NOT_READY (retryable) while the chunk has not registered yet. */
  public int cid() {
    int c = cid;
    if (c == 0) throw new BasaltException(ErrorCode.NOT_READY, "chunk server not registered yet");
    return c;
  }

  /** The cid, or 0 before registration. */
  public int cidOrZero() {
    return cid;
  }

  public String address() {
    return address;
  }

  public void setCid(int registered) {
    this.cid = registered;
  }

  public void setAddress(String rpcAddress) {
    this.address = rpcAddress;
  }
}
