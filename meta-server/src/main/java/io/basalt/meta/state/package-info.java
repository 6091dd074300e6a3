/**
 * The meta core: the durable tables of one leadership term ({@link io.basalt.meta.state.MetaTables} with
 * {@link io.basalt.meta.state.ChunkTable}, {@link io.basalt.meta.state.VolumeTable},
 * {@link io.basalt.meta.state.ExtentTable} and the records {@link io.basalt.meta.state.Chunk},
 * {@link io.basalt.meta.state.Volume}, {@link io.basalt.meta.state.PExtent}), the one thread that touches them
 * ({@link io.basalt.meta.state.MetaLoop}), the write pipeline ({@link io.basalt.meta.state.Plan}, planned against
 * the tables, committed as one fenced multi, applied after ZooKeeper confirmed), the leadership state machine
 * ({@link io.basalt.meta.state.MetaState}, {@link io.basalt.meta.state.LeadershipState},
 * {@link io.basalt.meta.state.LeaderGate}, {@link io.basalt.meta.state.PauseDetector}) and its metrics.
 *
 * <p>The per-term hook: a component with soft state of its own per term implements
 * {@link io.basalt.meta.state.TermState} (or uses a {@link io.basalt.meta.state.TermLocal}) and is handed to
 * {@link io.basalt.meta.state.MetaState} by the wiring; its state is created in the loop task that installs the
 * term's tables ({@code onActive(tables, epoch, now)}) and dropped with them ({@code onDrop()}). Today: sessions
 * ({@code meta.session.ChunkSessions}), recovery ({@code meta.recovery.RecoveryTable}) and scrub
 * ({@code meta.scrub.ScrubTable}); snapshot ({@code meta.snapshot}, not written yet) plugs in the same way, with no
 * change here. What the
 * core needs from outside it asks through narrow interfaces it defines: {@link io.basalt.meta.state.Election}
 * (implemented by {@code meta.election}) and {@link io.basalt.meta.state.Liveness} (implemented by the session
 * component, used by every component that asks whether an owner or replica is alive).
 *
 * <p>Threads: tables, plans and term hooks on {@code basalt-meta-loop} only; {@code MetaState}'s public methods
 * from any thread (they hop onto the loop); the pause detector's heartbeat on its own thread.
 *
 * <p>May import: {@code meta.store} and the shared modules (proto, session, common). Never a component package
 * (session, recovery, volume, placement, view, rpc, election) and never the wiring.
 */
package io.basalt.meta.state;
