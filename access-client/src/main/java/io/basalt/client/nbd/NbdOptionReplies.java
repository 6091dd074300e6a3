package io.basalt.client.nbd;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Builds the byte layouts the server sends during the handshake: greeting and fixed newstyle option replies. */
final class NbdOptionReplies {
  private NbdOptionReplies() {}

  static ByteBuf greeting(ByteBufAllocator alloc) {
    return alloc.buffer(18)
        .writeLong(NbdProtocol.INIT_MAGIC)
        .writeLong(NbdProtocol.OPTION_MAGIC)
        .writeShort(NbdProtocol.HANDSHAKE_FLAGS);
  }

  /** Reply with no data (NBD_REP_ACK and friends). */
  static ByteBuf empty(ByteBufAllocator alloc, int option, int replyType) {
    return header(alloc, option, replyType, 0);
  }

  /** Error reply; the message is shown to the user by clients such as qemu and nbdinfo. */
  static ByteBuf error(ByteBufAllocator alloc, int option, int replyType, String message) {
    int length = ByteBufUtil.utf8Bytes(message);
    ByteBuf buf = header(alloc, option, replyType, length);
    buf.writeCharSequence(message, StandardCharsets.UTF_8);
    return buf;
  }

  /**
   * The successful answer to NBD_OPT_INFO or NBD_OPT_GO: NBD_INFO_EXPORT, NBD_INFO_BLOCK_SIZE (sent even when not
   * requested, since our constraints are not the protocol's defaults), name and description if asked, then ACK.
   */
  static List<ByteBuf> info(ByteBufAllocator alloc, int option, NbdExport export, NbdInfoRequest request) {
    List<ByteBuf> replies = new ArrayList<>(5);
    replies.add(infoExport(alloc, option, export));
    replies.add(infoBlockSize(alloc, option, export));
    if (request.wants(NbdOption.INFO_NAME)) {
      replies.add(infoText(alloc, option, NbdOption.INFO_NAME, export.name()));
    }
    if (request.wants(NbdOption.INFO_DESCRIPTION)) {
      replies.add(infoText(alloc, option, NbdOption.INFO_DESCRIPTION, "Basalt volume " + export.name()));
    }
    replies.add(empty(alloc, option, NbdOption.REP_ACK));
    return replies;
  }

  /** NBD_REP_SERVER for NBD_OPT_LIST: name length, name, nothing else. */
  static ByteBuf server(ByteBufAllocator alloc, String name) {
    int nameLength = ByteBufUtil.utf8Bytes(name);
    ByteBuf buf = header(alloc, NbdOption.LIST, NbdOption.REP_SERVER, 4 + nameLength);
    buf.writeInt(nameLength).writeCharSequence(name, StandardCharsets.UTF_8);
    return buf;
  }

  static ByteBuf infoExport(ByteBufAllocator alloc, int option, NbdExport export) {
    return header(alloc, option, NbdOption.REP_INFO, 12)
        .writeShort(NbdOption.INFO_EXPORT)
        .writeLong(export.size())
        .writeShort(export.transmissionFlags());
  }

  static ByteBuf infoBlockSize(ByteBufAllocator alloc, int option, NbdExport export) {
    return header(alloc, option, NbdOption.REP_INFO, 14)
        .writeShort(NbdOption.INFO_BLOCK_SIZE)
        .writeInt(export.minBlockSize())
        .writeInt(export.preferredBlockSize())
        .writeInt(export.maxBlockSize());
  }

  /** NBD_INFO_NAME or NBD_INFO_DESCRIPTION: a string after the info type. */
  static ByteBuf infoText(ByteBufAllocator alloc, int option, int infoType, String text) {
    int length = ByteBufUtil.utf8Bytes(text);
    ByteBuf buf = header(alloc, option, NbdOption.REP_INFO, 2 + length).writeShort(infoType);
    buf.writeCharSequence(text, StandardCharsets.UTF_8);
    return buf;
  }

  /** The whole answer to NBD_OPT_EXPORT_NAME: size, transmission flags and, unless NO_ZEROES, the padding. */
  static ByteBuf exportName(ByteBufAllocator alloc, NbdExport export, boolean noZeroes) {
    int padding = noZeroes ? 0 : NbdProtocol.EXPORT_NAME_PADDING;
    return alloc.buffer(10 + padding)
        .writeLong(export.size())
        .writeShort(export.transmissionFlags())
        .writeZero(padding);
  }

  private static ByteBuf header(ByteBufAllocator alloc, int option, int replyType, int length) {
    return alloc.buffer(20 + length)
        .writeLong(NbdProtocol.OPTION_REPLY_MAGIC)
        .writeInt(option)
        .writeInt(replyType)
        .writeInt(length);
  }
}
