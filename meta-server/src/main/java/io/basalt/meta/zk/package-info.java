/**
 * ZooKeeper inside a JVM, for {@code local} mode and tests: {@link io.basalt.meta.zk.EmbeddedZooKeeper}
 * (standalone or one member of a real quorum), {@link io.basalt.meta.zk.EmbeddedZooKeeperMain}
 * ({@code basalt-zookeeper}) and {@link io.basalt.meta.zk.ZkPeer} (an ensemble member's ports). Used by the CLI's
 * local mode and the cluster tests; the meta server itself only connects to ZooKeeper.
 *
 * <p>Threads: ZooKeeper's own server threads; start and close from one thread.
 *
 * <p>May import: ZooKeeper and shared modules; nothing else of meta.
 */
package io.basalt.meta.zk;
