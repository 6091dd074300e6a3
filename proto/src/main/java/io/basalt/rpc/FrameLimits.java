package io.basalt.rpc;

/**
 * Bounds on what a peer may send. A frame over {@code maxFrameBytes} is refused with FRAME_TOO_LARGE and the
 * connection closed (the server goes on serving everyone else).
 */
public record FrameLimits(int maxFrameBytes, int maxHeaderBytes) {
  /** 32 MiB of data (the largest NBD request) plus headroom for the header. */
  public static final FrameLimits DEFAULT = new FrameLimits(33 * 1024 * 1024, 1024 * 1024);

  public FrameLimits {
    if (maxHeaderBytes <= 0 || maxFrameBytes < maxHeaderBytes) {
      throw new IllegalArgumentException("bad frame limits frame=" + maxFrameBytes + " header=" + maxHeaderBytes);
    }
  }
}
