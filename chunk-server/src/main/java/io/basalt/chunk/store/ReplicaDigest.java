package io.basalt.chunk.store;

/** Generation and content hash of one replica, for cross-replica comparison. */
public record ReplicaDigest(long pid, long epoch, long gen, String hashHex, long blockCount) {}
