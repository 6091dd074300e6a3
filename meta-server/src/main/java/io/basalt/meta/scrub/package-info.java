/**
 * Scrub on the leader (DESIGN.md "Consistency check"), whole in one package: {@link io.basalt.meta.scrub.ScrubScheduler}
 * (which extent is due, light every {@code lightPeriod}, deep every {@code deepPeriod}, at most {@code per_chunk}
 * scrubs a chunk takes part in at once, deep reads paced to {@code bytes_per_sec} per chunk; asks the owner for
 * every member's digest at one gen, sends QuarantineReplica to a replica that disagrees with the majority or fails
 * its CRCs, marks an extent SUSPECT when there is no majority, persists each extent's last scrub), the pure
 * {@link io.basalt.meta.scrub.ScrubVerdict} (the comparison) and {@link io.basalt.meta.scrub.ScrubThrottles},
 * the per-term {@link io.basalt.meta.scrub.ScrubTable} (running, due now, retries, per-chunk pacing; created and
 * dropped with the term through {@link io.basalt.meta.state.TermLocal}), {@link io.basalt.meta.scrub.ScrubAdminOps}
 * ({@code scrub ls|start|throttle}), {@link io.basalt.meta.scrub.ScrubRpc} (the meta -> chunk client: every call
 * with a deadline) and {@link io.basalt.meta.scrub.ScrubMetrics}.
 *
 * <p>Durable state: the last scrub of each extent ({@code ScrubRecord}, in pages at {@code scrub/<page>}, one page
 * write per scrubbed extent) and the operator's throttle ({@code config/scrub}), both in
 * {@link io.basalt.meta.state.MetaTables} and written through {@code MetaState.mutate} (fenced), so a new leader
 * resumes where the old one was. Soft state (what runs, what an operator asked for, retries) is per term: an
 * operator's {@code scrub start} is lost with the leader; periodic scrubs are not.
 *
 * <p>Threads: the pass's own thread ({@code meta-scrub}) posts the pick to the MetaLoop (reads and soft state) and
 * sends the owner calls; chunk replies complete on the RPC client's event loop and hop back to the MetaLoop to
 * persist. The scheduler runs on every meta server; only an ACTIVE leader's reads and mutations succeed, so a
 * follower scrubs nothing (as the recovery pass). RPC callers on any thread get futures.
 *
 * <p>May import: {@code meta.state}, {@code meta.store}, proto, rpc, common. Not session, recovery, volume or
 * placement: liveness arrives as {@link io.basalt.meta.state.Liveness}; a quarantined replica reaches recovery
 * through the chunk's own ReplicaQuarantined.
 */
package io.basalt.meta.scrub;
