package io.basalt.meta.state;

import io.basalt.proto.ChunkRecord;
import io.basalt.proto.ChunkStatus;
import java.util.Objects;

/**
 * A registered chunk server. Durable part (address, zone, admin address, capacity, status, registration time)
 * is the {@link ChunkRecord}; {@code usedBytes} and {@code lastSeenNanos} are soft state reported by heartbeats
 * and lost on leader change ({@link #NEVER} until this leader hears from the chunk). Status changes are checked by
 * {@link StateTransitions}.
 *
 * @param lastSeenNanos monotonic-clock time of the last registration or heartbeat seen by this leader
 * @param full soft state: the chunk's last heartbeat said its disk is full (TESTPLAN F16), so placement and recovery
 *     put nothing on it. Not a status: it is the chunk's own word, changes every heartbeat, and a full chunk is still
 *     a healthy member that serves reads
 */
public record Chunk(int cid, String address, String zone, String adminAddress, long capacityBytes, long usedBytes,
    ChunkStatus status, long registeredMs, long lastSeenNanos, boolean full) {
  /** lastSeenNanos of a chunk this leader has not heard from. */
  public static final long NEVER = Long.MIN_VALUE;

  public Chunk {
    if (cid <= 0) {
      throw new IllegalArgumentException("cid must be > 0, got " + cid);
    }
    Objects.requireNonNull(address, "address");
    zone = zone == null ? "" : zone;
    adminAddress = adminAddress == null ? "" : adminAddress;
    Objects.requireNonNull(status, "status");
  }

  /** A chunk with room (not full). */
  public Chunk(int cid, String address, String zone, String adminAddress, long capacityBytes, long usedBytes,
      ChunkStatus status, long registeredMs, long lastSeenNanos) {
    this(cid, address, zone, adminAddress, capacityBytes, usedBytes, status, registeredMs, lastSeenNanos, false);
  }

  public static Chunk fromRecord(ChunkRecord r) {
    return new Chunk(r.getCid(), r.getAddress(), r.getZone(), r.getAdminAddress(), r.getCapacityBytes(), 0,
        r.getStatus(), r.getRegisteredMs(), NEVER);
  }

  public ChunkRecord toRecord() {
    return ChunkRecord.newBuilder().setCid(cid).setAddress(address).setZone(zone).setAdminAddress(adminAddress)
        .setCapacityBytes(capacityBytes).setStatus(status).setRegisteredMs(registeredMs).build();
  }

  /** A (re-)registration: new address/zone/admin/capacity/usage, seen now; an expired chunk is healthy again. */
  public Chunk withRegistration(String address, String zone, String adminAddress, long capacityBytes,
      long usedBytes, long nowNanos) {
    ChunkStatus s = StateTransitions.chunk(cid, status,
        status == ChunkStatus.SESSION_EXPIRED ? ChunkStatus.HEALTHY : status);
    return new Chunk(cid, address, zone, adminAddress, capacityBytes, usedBytes, s, registeredMs, nowNanos, full);
  }

  public Chunk withHeartbeat(long usedBytes, long capacityBytes, long nowNanos) {
    return withHeartbeat(usedBytes, capacityBytes, full, nowNanos);
  }

  /** A heartbeat: usage, capacity (0 = unchanged) and whether the disk is full, seen now. */
  public Chunk withHeartbeat(long usedBytes, long capacityBytes, boolean full, long nowNanos) {
    long cap = capacityBytes > 0 ? capacityBytes : this.capacityBytes;
    return new Chunk(cid, address, zone, adminAddress, cap, usedBytes, status, registeredMs, nowNanos, full);
  }

  /** Copies the soft state (usage, last seen, full) of {@code other} onto this chunk. */
  public Chunk withSoftStateOf(Chunk other) {
    return new Chunk(cid, address, zone, adminAddress, capacityBytes, other.usedBytes, status, registeredMs,
        other.lastSeenNanos, other.full);
  }

  /** In status {@code next}; refuses a move {@link StateTransitions} does not allow. */
  public Chunk withStatus(ChunkStatus next) {
    return new Chunk(cid, address, zone, adminAddress, capacityBytes, usedBytes,
        StateTransitions.chunk(cid, status, next), registeredMs, lastSeenNanos, full);
  }

  public boolean everSeen() {
    return lastSeenNanos != NEVER;
  }

  /** True when the durable fields equal those of {@code other} (no ZooKeeper write needed). */
  public boolean sameRecord(Chunk other) {
    return other != null && toRecord().equals(other.toRecord());
  }
}
