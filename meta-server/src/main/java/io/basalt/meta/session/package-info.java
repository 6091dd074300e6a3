/**
 * Chunk sessions on the leader: {@link io.basalt.meta.session.ChunkSessions} (this term's
 * {@link io.basalt.session.SessionTable}, created with the takeover grace when the term starts, dropped with it;
 * also the core's {@link io.basalt.meta.state.Liveness}), {@link io.basalt.meta.session.SessionOps} (KeepAlive,
 * lease re-adoption during grace, session and cluster status, confirm-expiry, lease release),
 * {@link io.basalt.meta.session.SessionTicker} (the expiry tick: expired sessions lose their leases, removable
 * expired chunks leave their extents in one fenced multi), and {@link io.basalt.meta.session.MassExpiryGuard} (the
 * cluster-jeopardy questions other components ask: in jeopardy? is this failure report part of a mass event?).
 * Components that follow chunk sessions (recovery) listen through
 * {@link io.basalt.meta.session.ChunkSessionListener}: session never imports them.
 *
 * <p>Threads: everything on the MetaLoop; the ticker's timer thread ({@code meta-session-tick}) only posts there.
 *
 * <p>May import: {@code meta.state}, {@code meta.store}, {@code meta.view}, the session module.
 */
package io.basalt.meta.session;
