/**
 * The NBD server of the block client: serves each {@link io.basalt.client.volume.Volume} as an NBD export so that
 * qemu, libnbd tools, fio and the Linux kernel client can use Basalt volumes (DESIGN.md "Block client and NBD").
 *
 * <p>Per connection the pipeline starts as {@link io.basalt.client.nbd.NbdHandshakeHandler} (fixed newstyle
 * option haggling) and is rebuilt for the transmission phase as {@link io.basalt.client.nbd.NbdRequestDecoder}
 * followed by {@link io.basalt.client.nbd.NbdTransmissionHandler}; {@link io.basalt.client.nbd.NbdReplyEncoder}
 * frames replies in both phases. Only simple replies are spoken (no structured replies, no TLS).
 *
 * <p>Threads: each connection's Netty event loop runs its handlers and never blocks; opening a volume (which may
 * call meta) runs on the server's blocking executor ({@link io.basalt.client.nbd.NbdVolumeResolver}); volume I/O
 * completes on whatever thread ended it and its reply is written on the connection's own event loop.
 *
 * <p>May import: {@code io.basalt.client.volume} (the volumes it serves), {@code io.basalt.rpc},
 * {@code io.basalt.common}, {@code io.basalt.proto}. Never {@code io.basalt.client} or {@code io.basalt.client.io}:
 * the NBD server knows volumes only through their interface.
 */
package io.basalt.client.nbd;
