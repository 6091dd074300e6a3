package io.basalt.client.nbd;

/** Option codes, option reply types and info types of the handshake phase. */
final class NbdOption {
  static final int EXPORT_NAME = 1;
  static final int ABORT = 2;
  static final int LIST = 3;
  static final int STARTTLS = 5;
  static final int INFO = 6;
  static final int GO = 7;
  static final int STRUCTURED_REPLY = 8;
  static final int LIST_META_CONTEXT = 9;
  static final int SET_META_CONTEXT = 10;
  static final int EXTENDED_HEADERS = 11;

  static final int REP_ACK = 1;
  static final int REP_SERVER = 2;
  static final int REP_INFO = 3;
  static final int REP_ERR_UNSUP = 0x80000001;
  static final int REP_ERR_POLICY = 0x80000002;
  static final int REP_ERR_INVALID = 0x80000003;
  static final int REP_ERR_PLATFORM = 0x80000004;
  static final int REP_ERR_UNKNOWN = 0x80000006;
  static final int REP_ERR_SHUTDOWN = 0x80000007;
  static final int REP_ERR_TOO_BIG = 0x80000009;

  static final int INFO_EXPORT = 0;
  static final int INFO_NAME = 1;
  static final int INFO_DESCRIPTION = 2;
  static final int INFO_BLOCK_SIZE = 3;

  /** Readable option name for logs. */
  static String name(int option) {
    return switch (option) {
      case EXPORT_NAME -> "NBD_OPT_EXPORT_NAME";
      case ABORT -> "NBD_OPT_ABORT";
      case LIST -> "NBD_OPT_LIST";
      case STARTTLS -> "NBD_OPT_STARTTLS";
      case INFO -> "NBD_OPT_INFO";
      case GO -> "NBD_OPT_GO";
      case STRUCTURED_REPLY -> "NBD_OPT_STRUCTURED_REPLY";
      case LIST_META_CONTEXT -> "NBD_OPT_LIST_META_CONTEXT";
      case SET_META_CONTEXT -> "NBD_OPT_SET_META_CONTEXT";
      case EXTENDED_HEADERS -> "NBD_OPT_EXTENDED_HEADERS";
      default -> "option " + Integer.toUnsignedString(option);
    };
  }

  private NbdOption() {}
}
