/**
 * Sessions and leases (DESIGN.md "Sessions and leases") and the way to reach the meta leader, shared by both sides
 * of a session. The leader side: {@link io.basalt.session.SessionTable} (who is alive, when each lease ends on the
 * leader's monotonic clock, the mass-expiry guard). The follower side (chunk servers, block clients):
 * {@link io.basalt.session.FollowerSession} (CONNECTED, JEOPARDY, EXPIRED, RECONNECT) run by
 * {@link io.basalt.session.SessionClient}; {@link io.basalt.session.MetaClient} calls the leader wherever it is
 * (found through a {@link io.basalt.session.MetaLocator}, ZooKeeper's in {@link io.basalt.session.ZkMetaLocator}),
 * with redirects, {@link io.basalt.rpc.RetryPolicy#META_CALL} backoff, resend safety and the meta-epoch fence.
 *
 * <p>Threads: {@code SessionTable} belongs to the meta leader's loop that owns it (documented on the class);
 * {@code SessionClient} owns a keepalive thread; {@code MetaClient} a retry thread ({@code basalt-meta-client-retry})
 * and completes on RPC event loops; {@code ZkMetaLocator}'s watch runs on Curator's event thread.
 *
 * <p>May import: {@code io.basalt.rpc}, {@code io.basalt.common}, {@code io.basalt.proto}, Curator/ZooKeeper, the
 * JDK and SLF4J. Never a server or client module: meta-server, chunk-server and access-client build on it.
 */
package io.basalt.session;
