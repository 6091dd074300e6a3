package io.basalt.it.faults;

/**
 * A snapshot of a {@link FaultProxy}'s counters, so that a fault case can assert its fault <em>took effect</em>
 * (TESTPLAN §2: a case whose fault never bit fails as vacuous). Byte counts are taken when bytes are handed to the
 * outgoing socket (forwarded) or discarded (dropped); counters only grow for the proxy's lifetime.
 *
 * @param mode the fault configuration at the time of the snapshot
 * @param connectionsAccepted connections accepted on the listen address, including refused ones
 * @param connectionsRefused connections closed at once because of {@code dropNewConnections}
 * @param connectionsCut connections closed by {@code cutExisting}
 * @param openConnections proxied connections with at least one side still open
 * @param bytesClientToServer bytes forwarded towards the target
 * @param bytesServerToClient bytes forwarded towards the connecting client
 * @param droppedClientToServer bytes discarded on the way to the target
 * @param droppedServerToClient bytes discarded on the way to the client
 */
public record ProxyStats(Faults mode, long connectionsAccepted, long connectionsRefused, long connectionsCut,
    int openConnections, long bytesClientToServer, long bytesServerToClient, long droppedClientToServer,
    long droppedServerToClient) {

  /** Bytes discarded in both directions. */
  public long bytesDropped() {
    return droppedClientToServer + droppedServerToClient;
  }

  /** Bytes forwarded in {@code direction}. */
  public long forwarded(Direction direction) {
    return direction == Direction.CLIENT_TO_SERVER ? bytesClientToServer : bytesServerToClient;
  }

  /** Bytes dropped in {@code direction}. */
  public long dropped(Direction direction) {
    return direction == Direction.CLIENT_TO_SERVER ? droppedClientToServer : droppedServerToClient;
  }
}
