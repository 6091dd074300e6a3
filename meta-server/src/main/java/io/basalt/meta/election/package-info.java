/**
 * The meta election: {@link io.basalt.meta.election.LeaderElector} (Curator LeaderLatch at {@code meta/leader}
 * plus the connection-state listener: it drives {@link io.basalt.meta.state.MetaState} through LOADING, ACTIVE,
 * SUSPENDED, VERIFYING and back to FOLLOWER), {@link io.basalt.meta.election.LeadershipCheck} (sync, latch and
 * {@code meta/epoch} version: does this server still lead?), {@link io.basalt.meta.election.ZkTimeoutRule} (can a
 * failover finish within the chunk leases, given the negotiated ZooKeeper session timeout) and
 * {@link io.basalt.meta.election.MetaServerRegistry} (every meta server that ever started, for status).
 *
 * <p>A package of its own rather than part of the core: the core only needs the narrow
 * {@link io.basalt.meta.state.Election} (leader hint, verify, rejoin), which the elector implements; so the core
 * does not depend on Curator's election recipes, and the elector depends on the core, not the other way round.
 *
 * <p>Threads: latch callbacks and all blocking ZooKeeper work on {@code basalt-meta-elector}; connection-state
 * callbacks on Curator's thread, which only post to the MetaLoop.
 *
 * <p>May import: {@code meta.state}, {@code meta.store}, Curator/ZooKeeper, shared modules.
 */
package io.basalt.meta.election;
