package io.basalt.it.cluster;

import io.basalt.it.net.TestNetwork;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where the processes of a {@link ProcessCluster} live. On loopback (the default, no root needed) every node binds
 * its own 127.0.0.x with a port picked free. In a {@link TestNetwork} every node runs in its own namespace at
 * 10.213.n.x on its role's usual port, and the test JVM (with its fault proxies) sits at 10.213.n.1 and up. The last
 * octets are the same in both: {@link NodeRole#octet}.
 */
final class Addressing implements AutoCloseable {
  private final TestNetwork network;
  private final Set<String> hostAddresses = ConcurrentHashMap.newKeySet();

  private Addressing(TestNetwork network) {
    this.network = network;
  }

  static Addressing loopback() {
    return new Addressing(null);
  }

  static Addressing in(TestNetwork network) {
    return new Addressing(network);
  }

  /** Node {@code index} of {@code role}'s own address. */
  String host(NodeRole role, int index) {
    return network == null ? role.host(index) : network.address(role.octet(index));
  }

  /** The port the node listens on. */
  int port(NodeRole role, int index) {
    return network == null ? Signals.freePort(host(role, index)) : role.defaultPort();
  }

  /** A further port of the node (an ensemble member's quorum or election port): {@code usual} in a test network. */
  int port(NodeRole role, int index, int usual) {
    return network == null ? Signals.freePort(host(role, index)) : usual;
  }

  /** The command prefix that puts the node in its place: nothing on loopback, {@code ip netns exec} else. */
  List<String> prefix(NodeRole role, int index) {
    if (network == null) {
      return List.of();
    }
    String name = role.shortName() + "-" + index;
    network.addNode(name, host(role, index));
    return network.execPrefix(name);
  }

  /** An address in the test JVM that nodes can dial, for a proxy: 127.0.0.{octet} or 10.213.n.{octet}. */
  String testJvmHost(int octet) {
    if (network == null) {
      return "127.0.0." + octet;
    }
    String address = network.address(octet);
    if (hostAddresses.add(address)) {
      network.addHostAddress(address);
    }
    return address;
  }

  /** The address the test JVM's own connections to nodes come from. */
  String testJvmSource() {
    return network == null ? "127.0.0.1" : network.hostAddress();
  }

  Optional<TestNetwork> network() {
    return Optional.ofNullable(network);
  }

  @Override
  public void close() {
    if (network != null) {
      network.close();
    }
  }
}
