package io.basalt.client.nbd;

/**
 * Wire constants of the NBD protocol (doc/proto.md of the NetworkBlockDevice/nbd repository) for the subset this
 * server speaks: fixed newstyle handshake, simple replies. Kept apart from the handlers so the test client can use
 * the same numbers.
 */
final class NbdProtocol {
  /** "NBDMAGIC": first 8 bytes the server sends. */
  static final long INIT_MAGIC = 0x4e42444d41474943L;
  /** "IHAVEOPT": second greeting word and the prefix of every client option. */
  static final long OPTION_MAGIC = 0x49484156454f5054L;
  static final long OPTION_REPLY_MAGIC = 0x3e889045565a9L;
  static final int REQUEST_MAGIC = 0x25609513;
  static final int SIMPLE_REPLY_MAGIC = 0x67446698;

  static final int REQUEST_HEADER_LENGTH = 28;
  static final int SIMPLE_REPLY_HEADER_LENGTH = 16;
  static final int OPTION_HEADER_LENGTH = 16;
  /** Zero bytes after the NBD_OPT_EXPORT_NAME reply unless the client negotiated NBD_FLAG_C_NO_ZEROES. */
  static final int EXPORT_NAME_PADDING = 124;

  // Handshake flags (server, 16 bits).
  static final int FLAG_FIXED_NEWSTYLE = 1;
  static final int FLAG_NO_ZEROES = 1 << 1;
  static final int HANDSHAKE_FLAGS = FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES;

  // Client flags (32 bits); any other bit makes the server drop the connection.
  static final int FLAG_C_FIXED_NEWSTYLE = 1;
  static final int FLAG_C_NO_ZEROES = 1 << 1;
  static final int KNOWN_CLIENT_FLAGS = FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES;

  // Transmission flags (16 bits).
  static final int FLAG_HAS_FLAGS = 1;
  static final int FLAG_READ_ONLY = 1 << 1;
  static final int FLAG_SEND_FLUSH = 1 << 2;
  static final int FLAG_SEND_FUA = 1 << 3;
  static final int FLAG_ROTATIONAL = 1 << 4;
  static final int FLAG_SEND_TRIM = 1 << 5;
  static final int FLAG_SEND_WRITE_ZEROES = 1 << 6;
  static final int FLAG_SEND_DF = 1 << 7;
  static final int FLAG_CAN_MULTI_CONN = 1 << 8;
  static final int FLAG_SEND_CACHE = 1 << 10;
  static final int FLAG_SEND_FAST_ZERO = 1 << 11;

  /**
   * What every export advertises. CAN_MULTI_CONN is safe because a Basalt flush makes every completed write of
   * the volume durable, whichever connection (or client) issued it.
   */
  static final int TRANSMISSION_FLAGS = FLAG_HAS_FLAGS | FLAG_SEND_FLUSH | FLAG_SEND_FUA | FLAG_SEND_TRIM
      | FLAG_SEND_WRITE_ZEROES | FLAG_CAN_MULTI_CONN;

  // Command flags (16 bits).
  static final int CMD_FLAG_FUA = 1;
  static final int CMD_FLAG_NO_HOLE = 1 << 1;
  static final int CMD_FLAG_DF = 1 << 2;
  static final int CMD_FLAG_REQ_ONE = 1 << 3;
  static final int CMD_FLAG_FAST_ZERO = 1 << 4;

  private NbdProtocol() {}
}
