package io.basalt.it.cluster;

import io.basalt.it.net.Partitions;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@link Partitions} by node: cut, heal and count drops between processes of a {@link ProcessCluster} that runs in
 * network namespaces. Every node has its own address there, so a cut is exactly one directed pair; the test JVM
 * (its admin calls, its block client, its fault proxies) is the pseudo-node {@link #testJvm()}.
 */
public final class NodePartitions {
  private final Partitions rules;
  private final String testJvm;
  private final Supplier<List<ClusterNode>> nodes;

  NodePartitions(Partitions rules, String testJvm, Supplier<List<ClusterNode>> nodes) {
    this.rules = rules;
    this.testJvm = testJvm;
    this.nodes = nodes;
  }

  /** The test JVM's address, for cuts between it and a node (e.g. the block client to a chunk). */
  public String testJvm() {
    return testJvm;
  }

  /** Drops every packet from {@code from} to {@code to}. */
  public void cut(ClusterNode from, ClusterNode to) {
    rules.cut(from.host(), to.host());
  }

  /** Drops every packet between {@code a} and {@code b}, both ways. */
  public void cutBoth(ClusterNode a, ClusterNode b) {
    rules.cutBoth(a.host(), b.host());
  }

  /** Cuts {@code node} from every other node of the cluster, both ways; the test JVM still reaches it. */
  public void isolate(ClusterNode node) {
    for (ClusterNode other : nodes.get()) {
      if (other != node) {
        cutBoth(node, other);
      }
    }
  }

  /** Cuts {@code node} from the test JVM, both ways (its block client, admin calls and proxies). */
  public void cutFromTestJvm(ClusterNode node) {
    rules.cutBoth(node.host(), testJvm);
  }

  public void heal(ClusterNode from, ClusterNode to) {
    rules.heal(from.host(), to.host());
  }

  public void healBoth(ClusterNode a, ClusterNode b) {
    rules.healBoth(a.host(), b.host());
  }

  /** Removes every cut. */
  public void healAll() {
    rules.healAll();
  }

  /** Packets dropped from {@code from} to {@code to} so far (the proof that a cut took effect). */
  public long dropped(ClusterNode from, ClusterNode to) {
    return rules.dropped(from.host(), to.host());
  }

  /** Packets dropped both ways between {@code a} and {@code b}. */
  public long droppedBoth(ClusterNode a, ClusterNode b) {
    return dropped(a, b) + dropped(b, a);
  }

  /** The address-level rules, for cuts this class has no shortcut for. */
  public Partitions rules() {
    return rules;
  }

  /** The cuts in force, as "from -> to" addresses. */
  public List<String> active() {
    return rules.active();
  }
}
