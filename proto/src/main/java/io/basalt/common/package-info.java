/**
 * The bottom of every Basalt process: small building blocks with no Basalt dependency. Owns thread naming
 * ({@link io.basalt.common.NamedThreads}), per-key ordered execution ({@link io.basalt.common.OrderedExecutor}: one
 * extent, one thread), the pooled-buffer sizing ({@link io.basalt.common.BufferPool}), lock-free data-path metrics
 * ({@link io.basalt.common.HotMetrics}) and their Prometheus/JMX endpoint, {@code host:port} and unit parsing, and
 * log rate limiting.
 *
 * <p>Threads: none of its own except the ones it names for its users ({@code OrderedExecutor}'s
 * {@code basalt-<component>-<n>} threads, the metrics endpoint's HTTP thread); everything else is called on the
 * caller's thread and is thread-safe or immutable.
 *
 * <p>May import: the JDK, Netty, Dropwizard/Prometheus metrics, Guava, SLF4J. Never another {@code io.basalt}
 * package (not even {@code io.basalt.proto}): {@code rpc}, {@code failpoint} and every module build on it.
 */
package io.basalt.common;
