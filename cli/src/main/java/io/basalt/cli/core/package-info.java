/**
 * What every command is built from: {@link io.basalt.cli.core.GroupCommand} (a command that only groups
 * subcommands), {@link io.basalt.cli.core.ClusterOptions} ({@code --dir}, {@code --zk}, {@code --cluster},
 * {@code --timeout}), {@link io.basalt.cli.core.Converters} (sizes and durations as operators type them),
 * {@link io.basalt.cli.core.CliException} (a one-line error, exit code 1) and
 * {@link io.basalt.cli.core.ClusterConnection} (ZooKeeper, the meta leader and chunk servers for one command run).
 *
 * <p>Threads: the command's (main) thread; {@code ClusterConnection} waits for replies delivered on the RPC
 * client's event loop.
 *
 * <p>May import proto, session and common (and picocli); no other cli package: {@code cli}, {@code cli.local}
 * and the rest sit above it.
 */
package io.basalt.cli.core;
