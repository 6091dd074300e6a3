package io.basalt.client.layout;

import io.basalt.proto.ExtentInfo;
import java.util.Collection;
import java.util.List;

/**
 * Where an allocated extent lives, as this client last learned it: pid, epoch, ordered replicas with their
 * addresses, and the lease owner when known. Immutable; a redirect or refresh replaces the whole value.
 *
 * @param ownerCid lease owner's cid, 0 when unknown
 * @param ownerAddress lease owner's address, empty when unknown (it need not be a listed replica while membership
 *     changes)
 */
public record ExtentLocation(int index, long pid, long epoch, List<Integer> replicas, List<String> addresses,
    int ownerCid, String ownerAddress) {
  public ExtentLocation {
    replicas = List.copyOf(replicas);
    addresses = List.copyOf(addresses);
    ownerAddress = ownerAddress == null ? "" : ownerAddress;
    if (pid == 0) {
      throw new IllegalArgumentException("pid 0 is not an allocated extent (index=" + index + ")");
    }
    if (replicas.isEmpty() || replicas.size() != addresses.size()) {
      throw new IllegalArgumentException("extent pid=" + pid + " needs replicas with parallel addresses, got "
          + replicas + " / " + addresses);
    }
  }

  /** The location meta describes; the owner's address is looked up among the replicas. */
  public static ExtentLocation of(ExtentInfo e) {
    return of(e, e.getIndex());
  }

  /** As {@link #of(ExtentInfo)} for a known index (answers about one pid need not repeat it). */
  public static ExtentLocation of(ExtentInfo e, int index) {
    ExtentLocation plain = new ExtentLocation(index, e.getPid(), e.getEpoch(), e.getReplicasList(),
        e.getReplicaAddressesList(), 0, "");
    return e.getOwnerCid() == 0 ? plain : plain.withOwner(e.getOwnerCid(), "");
  }

  /** Where chunk requests go: the lease owner when known, else the first replica (which acquires the lease). */
  public String target() {
    return ownerAddress.isEmpty() ? addresses.get(0) : ownerAddress;
  }

  /**
   * As {@link #target()}, except that with no owner known the replicas at {@code avoid} (addresses this I/O found
   * silent) are passed over while another one remains: the replica asked takes the lease, so it should be a live one.
   */
  public String target(Collection<String> avoid) {
    if (!ownerAddress.isEmpty() || avoid.isEmpty()) {
      return target();
    }
    for (String a : addresses) {
      if (!avoid.contains(a)) {
        return a;
      }
    }
    return addresses.get(0);
  }

  /** The address of replica {@code cid}, or empty when it is not a member. */
  public String addressOf(int cid) {
    int i = replicas.indexOf(cid);
    return i < 0 ? "" : addresses.get(i);
  }

  /** A copy at {@code newEpoch}, the rest unchanged. */
  public ExtentLocation withEpoch(long newEpoch) {
    return new ExtentLocation(index, pid, newEpoch, replicas, addresses, ownerCid, ownerAddress);
  }

  /**
   * A copy naming a new owner; an empty {@code address} is looked up among the replicas. When neither is known the
   * owner is cleared, so requests go to the first replica.
   */
  public ExtentLocation withOwner(int cid, String address) {
    String a = address == null || address.isEmpty() ? addressOf(cid) : address;
    int c = a.isEmpty() ? 0 : cid;
    return new ExtentLocation(index, pid, epoch, replicas, addresses, c, a);
  }
}
