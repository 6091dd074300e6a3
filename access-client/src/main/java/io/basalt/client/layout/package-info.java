/**
 * Where a volume's bytes live: {@link io.basalt.client.layout.ExtentMapper} splits a byte range at extent bounds
 * into {@link io.basalt.client.layout.ExtentPart}s, and {@link io.basalt.client.layout.ExtentLocationCache} is this
 * client's cache (never the truth) of each extent's {@link io.basalt.client.layout.ExtentLocation} (pid, epoch,
 * replicas, owner), refreshed from meta through {@link io.basalt.client.layout.FreshLookup}.
 *
 * <p>Threads: no thread of its own; the mapper is pure, the cache is thread-safe and completes lookups on the meta
 * client's threads.
 *
 * <p>May import: {@code io.basalt.session} (the meta client), {@code io.basalt.rpc}, {@code io.basalt.common},
 * {@code io.basalt.proto}. No other {@code io.basalt.client} package.
 */
package io.basalt.client.layout;
