package io.basalt.client.nbd;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

/**
 * The data of NBD_OPT_INFO and NBD_OPT_GO: an export name (and its length in bytes on the wire) and the info types
 * the client asks for.
 */
record NbdInfoRequest(String name, int nameBytes, Set<Integer> infos) {

  /** Parses the option data, or returns null when it is malformed (answered with NBD_REP_ERR_INVALID). */
  static NbdInfoRequest parse(ByteBuf data) {
    if (data.readableBytes() < 6) {
      return null;
    }
    long nameLength = data.readUnsignedInt();
    if (nameLength > data.readableBytes() - 2) {
      return null;
    }
    String name = data.readCharSequence((int) nameLength, StandardCharsets.UTF_8).toString();
    int count = data.readUnsignedShort();
    if (data.readableBytes() != 2 * count) {
      return null;
    }
    Set<Integer> infos = new HashSet<>();
    for (int i = 0; i < count; i++) {
      infos.add(data.readUnsignedShort());
    }
    return new NbdInfoRequest(name, (int) nameLength, Set.copyOf(infos));
  }

  boolean wants(int infoType) {
    return infos.contains(infoType);
  }
}
