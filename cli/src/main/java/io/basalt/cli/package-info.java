/**
 * The {@code basalt} admin CLI, top of the cli module: {@link io.basalt.cli.BasaltCli} (the picocli root command,
 * the jar's main class, exit codes) and the commands that talk to a running cluster ({@code cluster}, {@code volume},
 * {@code chunk}, {@code extent}, {@code session}, {@code recovery}, {@code quarantine}), each rendering the meta
 * leader's answer (for {@code extent} and {@code quarantine}, also the chunk servers', asked directly) as a table or
 * as {@code --json} (keys spelled out in each command's {@code toJson}; scripts depend on them).
 *
 * <p>Threads: one command per process, run on the main thread; RPC replies arrive on the RPC client's event loop
 * and are waited for, so command code never runs concurrently with itself.
 *
 * <p>May import every other cli package ({@code cli.core}, {@code cli.local}, {@code cli.status},
 * {@code cli.output}), proto, session and common; nothing below imports this package.
 */
package io.basalt.cli;
