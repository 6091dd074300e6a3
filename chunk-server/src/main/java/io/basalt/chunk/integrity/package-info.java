/**
 * Replica integrity on a chunk (DESIGN.md "Fault isolation", "Consistency check"): {@link ReplicaQuarantine} takes a
 * replica whose state is in doubt out of service, keeps its evidence ({@link QuarantineEvidence}) and tells meta, so
 * one extent's failure stays in that extent; {@link ScrubDigests} gives a replica's scrub digest at an exact gen (the
 * owner's {@code OwnerScrub} compares its members with it); {@link IntegrityService} quarantines on meta's word.
 *
 * <p>Threads: none of its own; quarantine and digests run on the pid's ordered thread (a deep check on the io pool),
 * the report retries on the heartbeat thread.
 *
 * <p>May import: {@code chunk.core}, {@code chunk.store}. The owner, replica and session components call into it; it
 * reaches meta only through its {@link ReplicaQuarantine.Reporter} port, wired at the top.
 */
package io.basalt.chunk.integrity;
