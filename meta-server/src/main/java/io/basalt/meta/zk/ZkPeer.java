package io.basalt.meta.zk;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One member of a ZooKeeper ensemble: its server id (1-based, ZooKeeper's {@code myid}), the address clients use and
 * the two ports members talk on (quorum traffic to the leader, leader election). Written on command lines as
 * {@code host:clientPort:quorumPort:electionPort}; an ensemble is such entries joined by commas, member {@code i} of
 * the list having id {@code i + 1}, so every member is given the same list.
 */
public record ZkPeer(int id, String host, int clientPort, int quorumPort, int electionPort) {
  public ZkPeer {
    if (id < 1 || id > 255) {
      throw new IllegalArgumentException("ZooKeeper server id " + id + " outside [1, 255]");
    }
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("ZooKeeper member " + id + " has no host");
    }
    for (int p : new int[] {clientPort, quorumPort, electionPort}) {
      if (p < 1 || p > 65535) {
        throw new IllegalArgumentException("ZooKeeper member " + id + " has port " + p + " outside [1, 65535]");
      }
    }
    if (clientPort == quorumPort || clientPort == electionPort || quorumPort == electionPort) {
      throw new IllegalArgumentException("ZooKeeper member " + id + " needs three different ports, not "
          + clientPort + ":" + quorumPort + ":" + electionPort);
    }
  }

  /**
   * Parses {@code host:client:quorum:election,...}; member {@code i} (0-based) gets id {@code i + 1}.
   *
   * @throws IllegalArgumentException naming the bad entry
   */
  public static List<ZkPeer> parseEnsemble(String spec) {
    List<ZkPeer> out = new ArrayList<>();
    String[] entries = spec.split(",", -1);
    for (int i = 0; i < entries.length; i++) {
      String entry = entries[i].trim();
      String[] parts = entry.split(":", -1);
      if (parts.length != 4) {
        throw new IllegalArgumentException("bad ensemble member '" + entry
            + "': expected host:clientPort:quorumPort:electionPort");
      }
      try {
        out.add(new ZkPeer(i + 1, parts[0], Integer.parseInt(parts[1]), Integer.parseInt(parts[2]),
            Integer.parseInt(parts[3])));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad ensemble member '" + entry + "': ports must be numbers");
      }
    }
    for (int i = 0; i < out.size(); i++) {
      for (int j = i + 1; j < out.size(); j++) {
        if (out.get(i).host().equals(out.get(j).host()) && !Collections.disjoint(out.get(i).ports(),
            out.get(j).ports())) {
          throw new IllegalArgumentException("ensemble members " + (i + 1) + " and " + (j + 1) + " share a port on "
              + out.get(i).host());
        }
      }
    }
    return List.copyOf(out);
  }

  /** The command-line form, {@code host:client:quorum:election,...}, that {@link #parseEnsemble} reads. */
  public static String format(List<ZkPeer> ensemble) {
    return ensemble.stream().map(p -> p.host() + ":" + p.clientPort() + ":" + p.quorumPort() + ":" + p.electionPort())
        .collect(Collectors.joining(","));
  }

  /** The client connect string of the whole ensemble, {@code h:p1,h:p2,h:p3}. */
  public static String connectString(List<ZkPeer> ensemble) {
    return ensemble.stream().map(ZkPeer::clientAddress).collect(Collectors.joining(","));
  }

  /** {@code host:clientPort}. */
  public String clientAddress() {
    return host + ":" + clientPort;
  }

  /** The value of its {@code server.N} line in zoo.cfg: {@code host:quorumPort:electionPort}. */
  String serverLine() {
    return host + ":" + quorumPort + ":" + electionPort;
  }

  List<Integer> ports() {
    return List.of(clientPort, quorumPort, electionPort);
  }
}
