/**
 * {@code basalt local up|down|status|...}: a whole cluster (ZooKeeper, meta and chunk servers) as processes on this
 * machine, for development and demos. Owns the directory layout and ports ({@code LocalLayout}), the state file
 * DIR/cluster.json ({@code ClusterStateFile}, {@code ClusterState}, {@code ProcessRecord}), starting, waiting for
 * and stopping processes ({@code LocalUp}, {@code LocalProcesses}, {@code Readiness}).
 *
 * <p>Threads: the command's (main) thread, which also polls the started processes until they are ready; the
 * servers themselves are separate processes, not threads of the CLI.
 *
 * <p>May import {@code cli.core}, {@code cli.status}, {@code cli.output}, proto, session and common; never the
 * {@code cli} package (which registers {@code LocalCommand} and reads the state file to find a local cluster).
 */
package io.basalt.cli.local;
