/**
 * The block client process and its cluster volumes: {@link io.basalt.client.NbdServerMain} wires the process
 * (meta locator, RPC clients, NBD server, metrics endpoint; starts in dependency order, stops in reverse);
 * {@link io.basalt.client.ClusterVolumeProvider} opens volumes by name from meta and shares one
 * {@link io.basalt.client.ClusterVolume} per name, each user getting its own {@link io.basalt.client.VolumeHandle};
 * {@link io.basalt.client.ClosedScopes} holds a volume back from new users until old connections' attempts ended.
 *
 * <p>Threads: opening a volume blocks (meta calls) and runs on the NBD server's resolver thread, never an event
 * loop; volume I/O completes on RPC event loops, the meta client's threads and the retry timer, without blocking.
 *
 * <p>May import: every other {@code io.basalt.client} package ({@code volume}, {@code layout}, {@code io},
 * {@code nbd}), {@code io.basalt.session}, {@code io.basalt.rpc}, {@code io.basalt.common}, {@code io.basalt.proto}.
 * Nothing imports it back: it is the top of the module.
 */
package io.basalt.client;
