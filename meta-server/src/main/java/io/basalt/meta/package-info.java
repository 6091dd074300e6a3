/**
 * The meta server's wiring, and nothing else: {@link io.basalt.meta.MetaServerMain} (picocli: flags -> config),
 * {@link io.basalt.meta.MetaConfig} (the immutable settings), {@link io.basalt.meta.MetaServer} (metrics endpoint,
 * RPC server, then the core) and {@link io.basalt.meta.MetaCore} (ZooKeeper client, store, loop, elector, every
 * component's per-term state, the core state, then the components' operations and threads), each built in
 * dependency order and closed in reverse. No decision is taken here.
 *
 * <p>Package map (arrows point down only; no package cycles, checked with {@code jdeps -verbose:package}):
 * <pre>
 *   io.basalt.meta          wiring (this package)                         -> every package below
 *   meta.rpc                RPC adapters: MetaRpcService, MetaInfoService -> components, election, state
 *   meta.volume             volumes, extent allocation, leases, GetExtents -> placement, session, view, state, store
 *   meta.recovery           ReplicaFailed, ReplicaQuarantined, RecoveryDone, the pass -> session, view, state, store
 *   meta.scrub              replica comparison: the pass, scrub ls/start/throttle -> state, store
 *   meta.session            chunk sessions, expiry, mass-expiry guard      -> view, state, store
 *   meta.placement          chunk registration, where replicas go          -> view, state, store
 *   meta.view               wire views of table values                     -> state
 *   meta.election           leader latch, leadership check, ZK timeout rule -> state, store
 *   meta.state              the core: tables, MetaLoop, MetaState, gate    -> store
 *   meta.store              ZooKeeper persistence, fencing                 -> (nothing in meta)
 *   meta.zk                 embedded ZooKeeper for local mode and tests    -> (nothing in meta)
 * </pre>
 * The three flows of STYLE.md read from class names: a write reaches meta only for allocation and leases
 * ({@code MetaRpcService -> ExtentOps -> MetaState.mutate -> ZkMetaStore.commit}); expiry
 * ({@code SessionTicker -> SessionTable.tick -> MassExpiryGuard/held expiries -> SessionTicker.removeReplicas ->
 * RecoveryScheduler -> RecoveryPolicy}); failover ({@code LeaderElector -> MetaState.beginLoading/activate ->
 * TermState.onActive (ChunkSessions grace) -> ACTIVE}).
 *
 * <p>Threads: construction and close on the caller's thread; at run time everything runs on the threads the
 * packages below own (Netty event loops, {@code basalt-meta-loop}, {@code basalt-meta-elector}, the tickers).
 */
package io.basalt.meta;
