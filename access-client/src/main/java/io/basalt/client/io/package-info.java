/**
 * One volume's chunk I/O (STYLE.md Flow A, step 3): {@link io.basalt.client.io.IoRouter} sends each piece to its
 * extent's lease owner, follows NOT_OWNER redirects, hedges silent owners and retries what
 * {@link io.basalt.rpc.Retryability#isRetryableAfterRefresh} allows with {@link io.basalt.rpc.RetryPolicy#CLIENT_IO}
 * backoff until the I/O deadline; {@link io.basalt.client.io.FlushTracker} tracks and flushes dirty extents;
 * {@link io.basalt.client.io.IoScope} cancels one user's I/O. Also the block client's settings
 * ({@link io.basalt.client.io.ClientConfig}) and metrics ({@link io.basalt.client.io.ClientMetrics}).
 *
 * <p>Threads: no thread of its own. Attempts complete on RPC event loops, refreshes on the meta client's threads,
 * backoffs and hedges on the shared retry timer; lock-free, never blocking.
 *
 * <p>May import: {@code io.basalt.client.layout}, {@code io.basalt.client.volume}, {@code io.basalt.rpc},
 * {@code io.basalt.common}, {@code io.basalt.proto}. Never {@code io.basalt.client} or {@code io.basalt.client.nbd}.
 */
package io.basalt.client.io;
