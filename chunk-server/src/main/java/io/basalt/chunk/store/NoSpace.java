package io.basalt.chunk.store;

import java.io.IOException;
import org.rocksdb.RocksDBException;
import org.rocksdb.Status;

/**
 * Tells a full disk (ENOSPC) from other I/O failures (TESTPLAN F16): a full disk is not a failed store. Nothing
 * that hit it was committed (a slot file write comes before its record's WriteBatch, and a WriteBatch that failed is
 * not applied), the data already on disk is intact and readable, and writes work again once space is freed. A
 * failed sync or any other write error still fails the store for good (F17).
 *
 * <p>RocksDB says so in its status (IOError, sub code NoSpace). The JDK does not: a FileChannel write that hits
 * ENOSPC is a plain IOException carrying strerror's text, so that text is matched (the one place we read a message:
 * there is nothing else to go by). strerror may be translated under a non-English locale, hence the second signal the
 * caller passes: the file system reports (almost) no usable space at the time of the error.
 */
final class NoSpace {
  /** strerror(ENOSPC) in glibc and musl; also part of RocksDB's status text. */
  static final String ENOSPC_TEXT = "No space left on device";

  private NoSpace() {}

  /** Whether RocksDB failed for lack of space. */
  static boolean is(RocksDBException e) {
    Status s = e.getStatus();
    if (s != null && s.getSubCode() == Status.SubCode.NoSpace) return true;
    return mentions(e.getMessage());
  }

  /** Whether a background error status is a lack of space (a flush or compaction that found the disk full). */
  static boolean is(Status s) {
    return s != null && (s.getSubCode() == Status.SubCode.NoSpace || mentions(s.getState()));
  }

  /**
   * Whether a data file write failed for lack of space: its message says so, or {@code diskLooksFull} (the file
   * system has less usable space than one write needs right after the error).
   */
  static boolean is(IOException e, boolean diskLooksFull) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (mentions(t.getMessage())) return true;
    }
    return diskLooksFull;
  }

  private static boolean mentions(String message) {
    return message != null && message.contains(ENOSPC_TEXT);
  }
}
