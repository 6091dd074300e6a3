package io.basalt.chunk.core;

/** Another replica of an extent as the owner knows it: its cid and RPC address. */
public record Peer(int cid, String address) {
  public Peer {
    if (cid <= 0) throw new IllegalArgumentException("peer cid must be > 0: " + cid);
    if (address == null || address.isEmpty()) throw new IllegalArgumentException("peer address empty cid=" + cid);
  }
}
