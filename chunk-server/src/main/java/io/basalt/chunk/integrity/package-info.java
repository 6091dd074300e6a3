/**
 * Replica integrity on a chunk (DESIGN.md "Fault isolation", "Consistency check"): {@link ReplicaQuarantine} takes a
 * replica whose state is in doubt out of service, keeps its evidence ({@link QuarantineEvidence}) and tells meta, so
 * one extent's failure stays in that extent. The scrubber's chunk side will live here too.
 *
 * <p>Threads: none of its own; quarantine runs on the pid's ordered thread, the report retries on the heartbeat thread.
 *
 * <p>May import: {@code chunk.core}, {@code chunk.store}. The owner, replica and session components call into it; it
 * reaches meta only through its {@link ReplicaQuarantine.Reporter} port, wired at the top.
 */
package io.basalt.chunk.integrity;
