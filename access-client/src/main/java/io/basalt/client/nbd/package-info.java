/**
 * The NBD server of the block client: serves each {@link io.basalt.client.volume.Volume} as an NBD export so that
 * qemu, libnbd tools, fio and the Linux kernel client can use Basalt volumes (DESIGN.md "Block client and NBD").
 *
 * <p>Per connection the pipeline starts as {@link io.basalt.client.nbd.NbdHandshakeHandler} (fixed newstyle
 * option haggling) and is rebuilt for the transmission phase as {@link io.basalt.client.nbd.NbdRequestDecoder}
 * followed by {@link io.basalt.client.nbd.NbdTransmissionHandler}; {@link io.basalt.client.nbd.NbdReplyEncoder}
 * frames replies in both phases. Only simple replies are spoken (no structured replies, no TLS).
 */
package io.basalt.client.nbd;
