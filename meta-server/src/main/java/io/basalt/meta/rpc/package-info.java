/**
 * The meta RPC adapters: {@link io.basalt.meta.rpc.MetaRpcService} (one thin handler per request kind, from the
 * envelope body to a component's operation) and {@link io.basalt.meta.rpc.MetaInfoService} (MetaInfo, answered in
 * every leadership state, outside the leader gate). No decisions here.
 *
 * <p>Both are built before the core: the RPC server listens first because its bound address is the election id;
 * the wiring then hands them the operations ({@code attach}) once the core is built, and until then they answer
 * NOT_READY / "starting".
 *
 * <p>Threads: Netty event loops; handlers never block (operations return futures completed on the MetaLoop).
 *
 * <p>May import: every component package, {@code meta.election} (leader hint), {@code meta.state}.
 */
package io.basalt.meta.rpc;
