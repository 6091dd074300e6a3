package io.basalt.client.nbd;

import io.basalt.client.volume.Volume;

/**
 * A volume as one connection sees it after the handshake: its canonical name and the block size constraints
 * advertised in NBD_INFO_BLOCK_SIZE, which the transmission phase then enforces.
 */
record NbdExport(String name, Volume volume, int minBlockSize, int preferredBlockSize, int maxBlockSize) {

  static NbdExport of(Volume volume, NbdServerConfig config) {
    int min = config.minBlockSize();
    int max = config.maxRequestSize();
    // The protocol wants a power of two, at least max(min, 512), and no larger than the maximum.
    int preferred = Math.max(Math.max(min, 512), Integer.highestOneBit(Math.max(1, volume.blockSize())));
    preferred = Math.min(preferred, Integer.highestOneBit(max));
    return new NbdExport(volume.name(), volume, min, preferred, max);
  }

  long size() {
    return volume.size();
  }

  int transmissionFlags() {
    return NbdProtocol.TRANSMISSION_FLAGS;
  }
}
