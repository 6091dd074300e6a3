/**
 * The block volume API that the NBD server serves and the cluster implements: {@link
 * io.basalt.client.volume.Volume} (asynchronous read, write, flush, trim, write-zeroes by byte offset),
 * {@link io.basalt.client.volume.VolumeProvider} (open by name, list) and {@link io.basalt.client.volume.IoCallback}
 * (one I/O's completion, without a future per step).
 *
 * <p>Threads: interfaces only; implementations are thread-safe and complete on whatever thread ended the I/O.
 *
 * <p>May import: the JDK and Netty buffers (and {@code io.basalt.rpc} for the errors it documents). No other
 * {@code io.basalt.client} package: all of them build on it.
 */
package io.basalt.client.volume;
